package wow_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tongxue/tongxue/ent"
	entwow "github.com/tongxue/tongxue/ent/wow"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/domain/account"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// BenchmarkWowBurst: 10,000 wows on one post from 500 concurrent clients
// (10,000 different users). Every wow is counted once, the author's live
// subscription receives every one, and the time from sending a wow to its
// delivery is reported (p50, p99).
func BenchmarkWowBurst(b *testing.B) {
	for _, backend := range []string{dialect.SQLite, dialect.Postgres} {
		b.Run(map[string]string{dialect.SQLite: "sqlite", dialect.Postgres: "postgres"}[backend], func(b *testing.B) {
			for b.Loop() {
				wowBurst(b, backend, 10_000, 500)
			}
		})
	}
}

func wowBurst(b *testing.B, backend string, wows, clients int) {
	opt := apitest.Options{}
	var db *store.DB
	if backend == dialect.Postgres {
		var bus pubsub.Bus
		db, bus = apitest.PostgresInstance(b, testdb.PostgresSchema(b), 40)
		opt.Bus = bus
	} else {
		db = testdb.Open(b, backend, testdb.Options{MaxOpenConns: 8})
	}
	e := apitest.New(b, db, opt)
	ctx := b.Context()
	author := e.Login(b, authorPhone)
	var made struct{ CreatePost struct{ ID string } }
	e.Must(b, author, `mutation { createPost(input: {text: "求 wow"}) { id } }`, nil, &made)
	postID := made.CreatePost.ID

	// 10,000 fans, each with a session.
	tokens := make([]string, wows)
	senders := map[int]int{} // user id -> index
	for start := 0; start < wows; start += 500 {
		batch := make([]*ent.UserCreate, 0, 500)
		for i := start; i < min(start+500, wows); i++ {
			hash, sealed := account.SealPhone(e.Keys, fmt.Sprintf("1580%07d", i))
			batch = append(batch, db.Client.User.Create().SetPhoneHash(hash).SetPhoneCipher(sealed).
				SetNickname(fmt.Sprintf("粉丝%d", i)).SetBirthDate(time.Date(2002, 1, 1, 0, 0, 0, 0, time.UTC)).SetAcceptedPolicySeq(1))
		}
		us := db.Client.User.CreateBulk(batch...).SaveX(ctx)
		for j, u := range us {
			tok, err := e.Auth.OpenSession(ctx, u.ID)
			if err != nil {
				b.Fatal(err)
			}
			tokens[start+j] = tok
			senders[u.ID] = start + j
		}
	}

	ws, _, err := e.DialWS(b, "graphql-transport-ws", nil)
	if err != nil {
		b.Fatal(err)
	}
	ws.AutoPong()
	ws.Send("connection_init", "", map[string]any{"authToken": author})
	ws.Expect("connection_ack")
	ws.Send("subscribe", "1", map[string]any{"query": `subscription { wowReceived { id wowCount sender { id } } }`})
	time.Sleep(200 * time.Millisecond)

	sent := make([]time.Time, wows)
	answered := make([]time.Duration, wows)
	got := make([]time.Duration, 0, wows)
	seen := map[string]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for len(seen) < wows {
			m, err := ws.Read(60 * time.Second)
			if err != nil {
				return
			}
			var ev struct {
				Data struct {
					WowReceived struct {
						ID     string
						Sender struct{ ID string }
					}
				}
			}
			if m.Type != "next" || json.Unmarshal(m.Payload, &ev) != nil {
				continue
			}
			w := ev.Data.WowReceived
			uid, _ := e.Codec.DecodeID(w.Sender.ID)
			if seen[w.ID] {
				b.Errorf("wow %s delivered twice", w.ID)
			}
			seen[w.ID] = true
			got = append(got, time.Since(sent[senders[uid]]))
		}
	}()

	began := time.Now()
	var wg sync.WaitGroup
	per := wows / clients
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c * per; i < (c+1)*per; i++ {
				body := fmt.Sprintf(`{"query":"mutation($p: ID!) { sendWow(postId: $p) { wowCount } }","variables":{"p":%q}}`, postID)
				req, _ := http.NewRequest(http.MethodPost, e.URL, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tokens[i])
				sent[i] = time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				var out struct{ Errors []any }
				_ = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				answered[i] = time.Since(sent[i])
				if len(out.Errors) > 0 {
					b.Errorf("sendWow: %v", out.Errors)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(began)
	select {
	case <-done:
	case <-time.After(90 * time.Second):
	}
	pid, _ := e.Codec.DecodeID(postID)
	count := db.Client.Post.Query().OnlyX(ctx).WowCount
	rows := db.Client.Wow.Query().Where(entwow.PostID(pid)).CountX(ctx)
	if count != wows || rows != wows || len(seen) != wows {
		b.Fatalf("count %d, rows %d, delivered %d; want %d each", count, rows, len(seen), wows)
	}
	slices.Sort(got)
	slices.Sort(answered)
	b.ReportMetric(float64(answered[len(answered)/2].Milliseconds()), "sendWow-p50-ms")
	b.ReportMetric(float64(wows)/elapsed.Seconds(), "wows/s")
	b.ReportMetric(float64(got[len(got)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(got[len(got)*99/100].Milliseconds()), "p99-ms")
}
