package wow

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"entgo.io/contrib/entgql"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/follow"
	"github.com/tongxue/tongxue/ent/post"
	"github.com/tongxue/tongxue/ent/postimage"
	"github.com/tongxue/tongxue/ent/user"
	entwow "github.com/tongxue/tongxue/ent/wow"
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

// prime answers viewerHasWowed for a whole page in one statement, reads
// the consents of the authors whose posts have a location (Post.location
// needs its author's) in one more, and registers the page for Preview.
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
	if c, ok := ctx.Value(previewKey{}).(*previews); ok {
		c.mu.Lock()
		c.page = append(c.page, ids...)
		c.mu.Unlock()
	}
	if l, ok := ctx.Value(loaderKey{}).(*loader.Loader[int, bool]); ok {
		return conn, l.Prime(ctx, ids)
	}
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
	return s.client.User.Query().Where(
		user.HasFollowersWith(follow.FollowerID(v.UserID)),
		user.HasFollowingWith(follow.FolloweeID(v.UserID)),
	).Order(ent.Asc(user.FieldNickname)).Limit(500).All(ctx)
}

type loaderKey struct{}

type previewKey struct{}

// previews holds a request's first pictures of posts. The pages a request
// loads register their posts, so the first Preview reads the pictures of a
// whole page in one statement, however its resolvers are scheduled.
type previews struct {
	mu   sync.Mutex
	page []int
	got  map[preview][]*ent.PostImage
}

// preview is the first pictures of a post.
type preview struct{ post, first int }

// Preview returns the first pictures of a post (at most MaxImages).
func (s *Service) Preview(ctx context.Context, postID, first int) ([]*ent.PostImage, error) {
	first = min(max(first, 0), MaxImages)
	c, ok := ctx.Value(previewKey{}).(*previews)
	if !ok {
		c = &previews{got: map[preview][]*ent.PostImage{}}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if imgs, ok := c.got[preview{postID, first}]; ok {
		return imgs, nil
	}
	ids := []int{postID}
	for _, id := range c.page {
		if _, ok := c.got[preview{id, first}]; !ok && id != postID {
			ids = append(ids, id)
		}
	}
	imgs, err := s.client.PostImage.Query().
		Where(postimage.PostIDIn(ids...), postimage.PositionLT(first)).
		Order(ent.Asc(postimage.FieldPostID), ent.Asc(postimage.FieldPosition)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		c.got[preview{id, first}] = []*ent.PostImage{} // none: an empty list
	}
	for _, img := range imgs {
		k := preview{img.PostID, first}
		c.got[k] = append(c.got[k], img)
	}
	return c.got[preview{postID, first}], nil
}

// WithLoaders gives a request the batch loader behind HasWowed, so a page
// of posts asks whether the viewer wowed them in one statement.
func (s *Service) WithLoaders(ctx context.Context) context.Context {
	ctx = context.WithValue(ctx, countKey{}, loader.New(500*time.Microsecond, s.wowCounts))
	ctx = context.WithValue(ctx, previewKey{}, &previews{got: map[preview][]*ent.PostImage{}})
	v := auth.FromContext(ctx)
	if v == nil {
		return ctx
	}
	l := loader.New(500*time.Microsecond, func(ctx context.Context, ids []int) (map[int]bool, error) {
		ws, err := s.client.Wow.Query().Where(entwow.UserID(v.UserID), entwow.PostIDIn(ids...)).All(ctx)
		out := make(map[int]bool, len(ws))
		for _, w := range ws {
			out[w.PostID] = true
		}
		return out, err
	})
	ctx = context.WithValue(ctx, loaderKey{}, l)
	return ctx
}

// HasWowed reports whether the viewer wowed the post.
func (s *Service) HasWowed(ctx context.Context, postID int) (bool, error) {
	v := auth.FromContext(ctx)
	if v == nil {
		return false, nil
	}
	if l, ok := ctx.Value(loaderKey{}).(*loader.Loader[int, bool]); ok {
		return l.Load(ctx, postID)
	}
	return s.client.Wow.Query().Where(entwow.UserID(v.UserID), entwow.PostID(postID)).Exist(ctx)
}

type countKey struct{}

// WowCount is the wows a user's posts received (the public profile).
func (s *Service) WowCount(ctx context.Context, userID int) (int, error) {
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
