package wow_test

import (
	"testing"

	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// Counts reveal no hidden post: a user's wow count and post count are those
// of the posts the viewer may see, so a stranger, a friend and the author
// each see the sum of what the profile lists to them.
func TestCountsOnlyVisiblePosts(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		p := newPeople(t, db)
		e := p.e
		pub := p.post(t, "公开", "PUBLIC")
		fr := p.post(t, "朋友", "FRIENDS")
		me := p.post(t, "自己", "ONLY_ME")
		wow := func(tok, id string) {
			e.Must(t, tok, `mutation($id: ID!) { sendWow(postId: $id) { wowCount } }`, map[string]any{"id": id}, nil)
		}
		wow(p.friend, pub)
		wow(p.other, pub)
		wow(p.friend, fr)
		wow(p.author, fr)
		wow(p.author, me)
		want := map[string]struct{ posts, wows int }{
			"":       {1, 2}, // anonymous
			"other":  {1, 2},
			"fan":    {1, 2}, // follows the author, not followed back
			"friend": {2, 4},
			"author": {3, 5},
		}
		tokens := map[string]string{"": "", "other": p.other, "fan": p.fan, "friend": p.friend, "author": p.author}
		const q = `query($u: ID!) { node(id: $u) { ... on User { wowCount
		  posts(first: 10) { totalCount edges { node { wowCount } } } } } }`
		for who, tok := range tokens {
			var out struct {
				Node struct {
					WowCount int
					Posts    struct {
						TotalCount int
						Edges      []struct{ Node struct{ WowCount int } }
					}
				}
			}
			e.Must(t, tok, q, map[string]any{"u": p.authorID}, &out)
			listed := 0
			for _, ed := range out.Node.Posts.Edges {
				listed += ed.Node.WowCount
			}
			w := want[who]
			if out.Node.WowCount != w.wows || listed != w.wows ||
				out.Node.Posts.TotalCount != w.posts || len(out.Node.Posts.Edges) != w.posts {
				t.Errorf("%q sees wowCount %d over %d posts (total %d) summing to %d; want %d over %d",
					who, out.Node.WowCount, len(out.Node.Posts.Edges), out.Node.Posts.TotalCount, listed, w.wows, w.posts)
			}
		}
		// The feed's authors agree with the feed's posts.
		for who, tok := range map[string]string{"friend": p.friend, "fan": p.fan, "author": p.author} {
			var out struct {
				WowFeed struct {
					Edges []struct {
						Node struct {
							WowCount int
							Author   struct{ WowCount int }
						}
					}
				}
			}
			e.Must(t, tok, `{ wowFeed(first: 10) { edges { node { wowCount author { wowCount } } } } }`, nil, &out)
			listed := 0
			for _, ed := range out.WowFeed.Edges {
				listed += ed.Node.WowCount
				if ed.Node.Author.WowCount != want[who].wows {
					t.Errorf("feed of %q: the author's wowCount %d, want %d", who, ed.Node.Author.WowCount, want[who].wows)
				}
			}
			if listed != want[who].wows {
				t.Errorf("feed of %q sums to %d wows, want %d", who, listed, want[who].wows)
			}
		}
	})
}
