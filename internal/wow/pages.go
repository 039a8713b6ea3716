package wow

import (
	"context"
	"slices"
	"sync"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/postimage"
	entwow "github.com/tongxue/tongxue/ent/wow"
	"github.com/tongxue/tongxue/internal/auth"
)

// pages remembers the posts of the pages a request loaded, and answers
// questions about them (did the viewer wow it? its first pictures?) for the
// whole page in one statement when a resolver first asks, however gqlgen
// schedules the resolvers, and not at all when nobody asks.
type pages struct {
	mu       sync.Mutex
	posts    []int
	wowed    map[int]bool
	previews map[preview][]*ent.PostImage
}

// preview is the first pictures of a post.
type preview struct{ post, first int }

type pagesKey struct{}

func withPages(ctx context.Context) context.Context {
	return context.WithValue(ctx, pagesKey{}, &pages{wowed: map[int]bool{}, previews: map[preview][]*ent.PostImage{}})
}

// loaded registers a page's posts.
func loaded(ctx context.Context, ids []int) {
	if p, ok := ctx.Value(pagesKey{}).(*pages); ok {
		p.mu.Lock()
		p.posts = append(p.posts, ids...)
		p.mu.Unlock()
	}
}

// pagesOf returns the request's pages, or a fresh one for a lone post
// (subscriptions, which have none).
func pagesOf(ctx context.Context) *pages {
	if p, ok := ctx.Value(pagesKey{}).(*pages); ok {
		return p
	}
	return &pages{wowed: map[int]bool{}, previews: map[preview][]*ent.PostImage{}}
}

// missing is postID and the registered posts have not answered yet. p.mu
// is held.
func (p *pages) missing(postID int, has func(int) bool) []int {
	ids := []int{postID}
	for _, id := range p.posts {
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
	ids := p.missing(postID, func(id int) bool { _, ok := p.wowed[id]; return ok })
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
	ids := p.missing(postID, func(id int) bool { _, ok := p.previews[preview{id, first}]; return ok })
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
