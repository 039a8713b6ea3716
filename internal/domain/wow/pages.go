package wow

import (
	"context"
	"slices"
	"sync"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/postimage"
	entwow "github.com/tongxue/tongxue/ent/wow"
	"github.com/tongxue/tongxue/internal/domain/auth"
)

// pages remembers the posts of the pages a request loaded, and answers
// questions about them (did the viewer wow it? its first pictures?) for the
// whole page in one statement when a resolver first asks, however gqlgen
// schedules the resolvers, and not at all when nobody asks.
type pages struct {
	mu       sync.Mutex
	posts    []int
	users    []int
	wowed    map[int]bool
	previews map[preview][]*ent.PostImage
	counts   map[int]int  // users' wow counts, as the viewer may see them
	public   map[int]bool // posts loaded: whether each is PUBLIC (pictures' URLs)
}

// preview is the first pictures of a post.
type preview struct{ post, first int }

type pagesKey struct{}

func withPages(ctx context.Context) context.Context {
	return context.WithValue(ctx, pagesKey{}, newPages())
}

func newPages() *pages {
	return &pages{wowed: map[int]bool{}, previews: map[preview][]*ent.PostImage{}, counts: map[int]int{}, public: map[int]bool{}}
}

// loaded registers a page's posts (with whether each is PUBLIC) and users.
func loaded(ctx context.Context, posts []int, public []bool, users []int) {
	if p, ok := ctx.Value(pagesKey{}).(*pages); ok {
		p.mu.Lock()
		p.posts = append(p.posts, posts...)
		p.users = append(p.users, users...)
		for i, id := range posts {
			p.public[id] = public[i]
		}
		p.mu.Unlock()
	}
}

// isPublic reports whether the request loaded post id and it is PUBLIC.
func isPublic(ctx context.Context, id int) bool {
	p, ok := ctx.Value(pagesKey{}).(*pages)
	if !ok {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.public[id]
}

// pagesOf returns the request's pages, or a fresh one for a lone post
// (subscriptions, which have none).
func pagesOf(ctx context.Context) *pages {
	if p, ok := ctx.Value(pagesKey{}).(*pages); ok {
		return p
	}
	return newPages()
}

// missing is id and those of known (the registered posts or users) that
// have no answer yet. p.mu is held.
func missing(id int, known []int, has func(int) bool) []int {
	ids := []int{id}
	for _, id := range known {
		if !has(id) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// HasWowed reports whether the viewer wowed the post.
func (s *Service) HasWowed(ctx context.Context, postID int) (bool, error) {
	v := auth.FromContext(ctx)
	if v == nil {
		return false, nil
	}
	p := pagesOf(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if w, ok := p.wowed[postID]; ok {
		return w, nil
	}
	ids := missing(postID, p.posts, func(id int) bool { _, ok := p.wowed[id]; return ok })
	wowed, err := s.client.Wow.Query().Where(entwow.UserID(v.UserID), entwow.PostIDIn(ids...)).
		Select(entwow.FieldPostID).Ints(ctx)
	if err != nil {
		return false, err
	}
	for _, id := range ids {
		p.wowed[id] = false
	}
	for _, id := range wowed {
		p.wowed[id] = true
	}
	return p.wowed[postID], nil
}

// Preview returns the first pictures of a post (at most MaxImages), in the
// author's order.
func (s *Service) Preview(ctx context.Context, postID, first int) ([]*ent.PostImage, error) {
	first = min(max(first, 0), MaxImages)
	p := pagesOf(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if imgs, ok := p.previews[preview{postID, first}]; ok {
		return imgs, nil
	}
	ids := missing(postID, p.posts, func(id int) bool { _, ok := p.previews[preview{id, first}]; return ok })
	imgs, err := s.client.PostImage.Query().
		Where(postimage.PostIDIn(ids...), postimage.PositionLT(first)).
		Order(ent.Asc(postimage.FieldPostID), ent.Asc(postimage.FieldPosition)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		p.previews[preview{id, first}] = []*ent.PostImage{} // none: an empty list
	}
	for _, img := range imgs {
		k := preview{img.PostID, first}
		p.previews[k] = append(p.previews[k], img)
	}
	return p.previews[preview{postID, first}], nil
}

// pageWowCount reads the wow counts of the registered users not read yet,
// userID among them.
func (s *Service) pageWowCount(ctx context.Context, userID int) (int, error) {
	p := pagesOf(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if n, ok := p.counts[userID]; ok {
		return n, nil
	}
	ids := missing(userID, p.users, func(id int) bool { _, ok := p.counts[id]; return ok })
	m, err := s.wowCounts(ctx, ids)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		p.counts[id] = m[id] // no posts: 0
	}
	return p.counts[userID], nil
}
