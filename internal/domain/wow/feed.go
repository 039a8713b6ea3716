package wow

import (
	"context"
	"strings"
	"unicode/utf8"

	"entgo.io/contrib/entgql"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/follow"
	"github.com/tongxue/tongxue/ent/post"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// Page is a Relay page request.
type Page struct {
	After, Before *entgql.Cursor[int]
	First, Last   *int
}

var newestFirst = ent.WithPostOrder(&ent.PostOrder{Direction: entgql.OrderDirectionDesc, Field: ent.PostOrderFieldCreatedAt})

// Feed is the viewer's own posts and those of the people they follow that
// they may see, newest first. Field collection loads authors, pictures and
// counts with the page.
func (s *Service) Feed(ctx context.Context, v *auth.Viewer, p Page) (*ent.PostConnection, error) {
	q := s.client.Post.Query().Where(post.Or(
		post.AuthorID(v.UserID),
		post.HasAuthorWith(user.HasFollowersWith(follow.FollowerID(v.UserID))),
	))
	conn, err := q.Paginate(ctx, p.After, p.First, p.Before, p.Last, newestFirst)
	return conn, err
}

// Search finds posts the viewer may see whose text has every word.
func (s *Service) Search(ctx context.Context, text string, p Page) (*ent.PostConnection, error) {
	if n := utf8.RuneCountInString(text); n > 64 {
		return nil, apperr.BadField("text", "a search has at most 64 characters")
	}
	q := s.client.Post.Query()
	for _, w := range strings.Fields(text) {
		q = q.Where(post.TextContainsFold(w))
	}
	conn, err := q.Paginate(ctx, p.After, p.First, p.Before, p.Last, newestFirst)
	return conn, err
}

// Friends lists the users the viewer and who follow each other.
func (s *Service) Friends(ctx context.Context, v *auth.Viewer) ([]*ent.User, error) {
	return s.client.User.Query().Where(
		user.HasFollowersWith(follow.FollowerID(v.UserID)),
		user.HasFollowingWith(follow.FolloweeID(v.UserID)),
	).Order(ent.Asc(user.FieldNickname)).Limit(500).All(ctx)
}

// WithLoaders gives a request the page registry (pages.go): whether the
// viewer wowed each post, each post's first pictures and users' wow counts
// are read for a whole page in one statement each.
func (s *Service) WithLoaders(ctx context.Context) context.Context {
	return withPages(ctx)
}

// WowCount is the wows a user's posts received (the public profile),
// counting only the posts the viewer may see: a total over hidden posts
// would tell a stranger that FRIENDS or ONLY_ME posts exist and how much
// they are wowed.
func (s *Service) WowCount(ctx context.Context, userID int) (int, error) {
	return s.pageWowCount(ctx, userID)
}

// wowCounts sums the counts of the users' posts that the viewer may see
// (the query applies Visible, as every query for posts does), for a page of
// users in one statement.
func (s *Service) wowCounts(ctx context.Context, ids []int) (map[int]int, error) {
	var rows []struct {
		AuthorID int `json:"author_id"`
		Sum      int `json:"sum"`
	}
	err := s.client.Post.Query().Where(post.AuthorIDIn(ids...)).GroupBy(post.FieldAuthorID).
		Aggregate(ent.Sum(post.FieldWowCount)).Scan(ctx, &rows)
	out := make(map[int]int, len(rows))
	for _, r := range rows {
		out[r.AuthorID] = r.Sum
	}
	return out, err
}

// PictureURL is the address of a post's picture for the viewer, who may see
// the post (the query that loaded img applied Visible): plain for a PUBLIC
// post, signed and expiring otherwise (pictures.Access).
func (s *Service) PictureURL(ctx context.Context, img *ent.PostImage) string {
	return s.access.URL(img.MediaKey, isPublic(ctx, img.PostID))
}
