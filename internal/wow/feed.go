package wow

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/contrib/entgql"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/follow"
	"github.com/tongxue/tongxue/ent/post"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/apperr"
	"github.com/tongxue/tongxue/internal/auth"
	"github.com/tongxue/tongxue/internal/loader"
	"github.com/tongxue/tongxue/internal/privacy"
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
	return s.prime(ctx, conn, err)
}

// prime reads the consents of the authors whose posts have a location
// (Post.location needs its author's) in one statement, and registers the
// page, so viewerHasWowed and previewImages read it whole when first asked.
func (s *Service) prime(ctx context.Context, conn *ent.PostConnection, err error) (*ent.PostConnection, error) {
	if err != nil || len(conn.Edges) == 0 {
		return conn, err
	}
	ids := make([]int, len(conn.Edges))
	var located []int
	for i, e := range conn.Edges {
		ids[i] = e.Node.ID
		if e.Node.Location != nil {
			located = append(located, e.Node.AuthorID)
		}
	}
	if err := s.priv.PrimeConsents(ctx, located); err != nil {
		return nil, err
	}
	authors := make([]int, len(conn.Edges))
	for i, e := range conn.Edges {
		authors[i] = e.Node.AuthorID
	}
	loaded(ctx, ids, authors)
	return conn, nil
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
	return s.prime(ctx, conn, err)
}

// Friends lists the users the viewer and who follow each other.
func (s *Service) Friends(ctx context.Context, v *auth.Viewer) ([]*ent.User, error) {
	us, err := s.client.User.Query().Where(
		user.HasFollowersWith(follow.FollowerID(v.UserID)),
		user.HasFollowingWith(follow.FolloweeID(v.UserID)),
	).Order(ent.Asc(user.FieldNickname)).Limit(500).All(ctx)
	ids := make([]int, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	loaded(ctx, nil, ids)
	return us, err
}

// WithLoaders gives a request what answers a page's questions in one
// statement each: the wow counts of users, and (pages.go) whether the
// viewer wowed each post and each post's first pictures.
func (s *Service) WithLoaders(ctx context.Context) context.Context {
	ctx = context.WithValue(ctx, countKey{}, loader.New(500*time.Microsecond, s.wowCounts))
	return withPages(ctx)
}

type countKey struct{}

// WowCount is the wows a user's posts received (the public profile). The
// users of a page the request loaded (posts' authors, friends) are read
// together when first asked; others are batched by a loader.
func (s *Service) WowCount(ctx context.Context, userID int) (int, error) {
	if n, ok, err := s.pageWowCount(ctx, userID); ok || err != nil {
		return n, err
	}
	if l, ok := ctx.Value(countKey{}).(*loader.Loader[int, int]); ok {
		return l.Load(ctx, userID)
	}
	m, err := s.wowCounts(ctx, []int{userID})
	return m[userID], err
}

// wowCounts sums the counts of the users' posts, all of them: the total is
// public even where a post is not.
func (s *Service) wowCounts(ctx context.Context, ids []int) (map[int]int, error) {
	var rows []struct {
		AuthorID int `json:"author_id"`
		Sum      int `json:"sum"`
	}
	err := s.client.Post.Query().Where(post.AuthorIDIn(ids...)).GroupBy(post.FieldAuthorID).
		Aggregate(ent.Sum(post.FieldWowCount)).Scan(privacy.System(ctx), &rows)
	out := make(map[int]int, len(rows))
	for _, r := range rows {
		out[r.AuthorID] = r.Sum
	}
	return out, err
}
