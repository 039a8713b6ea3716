package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// Every example in README.md runs as written, in order, on a fresh server
// with the demo data (what `make run` serves): a reader copying them meets
// no error.
func TestReadmeExamplesRunAsWritten(t *testing.T) {
	examples := readmeExamples(t)
	if len(examples) < 30 {
		t.Fatalf("found %d examples in README.md: the extraction is broken", len(examples))
	}
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		// A reader takes a while over each example: without that, the
		// reveal code would be asked for within the minute after the log-in
		// code, which the per-number SMS cooldown refuses.
		clock := testdb.NewClock(time.Now())
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		e.Seed(t)
		r := &readmeRun{e: e, tokens: map[string]string{}}
		for _, x := range examples {
			clock.Add(readerPace)
			r.run(t, x)
		}
		r.checkSubscriptions(t)
	})
}

// readerPace is the time the clock moves between two examples: short of
// every expiry the README names (codes 5 minutes, unpaid orders 15), long
// enough for the SMS cooldown over a page of reading.
const readerPace = 20 * time.Second

// readmeRun is a reader working through the README.
type readmeRun struct {
	e      *apitest.Env
	reader string            // the number the README registers
	tokens map[string]string // phone: token
	mu     sync.Mutex
	data   []json.RawMessage // every answer's data, subscriptions' events included, oldest first
	subs   []*readmeSub
}

type readmeSub struct {
	x    readmeExample
	mu   sync.Mutex
	msgs []apitest.Message
}

var placeholder = regexp.MustCompile(`<[^<>]+>`)

func (r *readmeRun) run(t *testing.T, x readmeExample) {
	t.Helper()
	phone := r.reader
	if as := x.as(); as != "" {
		phone = as
		if r.tokens[as] == "" {
			r.tokens[as] = r.logIn(t, as)
		}
	}
	if x.curl != nil {
		r.curl(t, x, r.tokens[phone])
		return
	}
	query := placeholder.ReplaceAllStringFunc(x.text, func(p string) string { return r.resolve(t, x, p, phone) })
	if strings.HasPrefix(query, "subscription") {
		r.subscribe(t, x, query, r.tokens[phone])
		return
	}
	resp := r.e.Post(t, r.tokens[phone], query, nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("README.md line %d fails as written: %+v\n%s", x.line, resp.Errors, query)
	}
	r.record(resp.Data)
	if strings.Contains(query, "login(") && r.reader == "" { // the README's own account
		r.reader = loginPhone.FindStringSubmatch(query)[1]
		r.tokens[r.reader] = r.answer(t, x, "login.token")
	}
}

var loginPhone = regexp.MustCompile(`phone: "(\d+)"`)

// logIn logs in a demo account the way the README says: a code, then login
// with the number and the code only.
func (r *readmeRun) logIn(t *testing.T, phone string) string {
	t.Helper()
	var out struct{ Login struct{ Token string } }
	r.e.Must(t, "", fmt.Sprintf(`mutation { requestLoginCode(phone: %q) { sentTo } }`, phone), nil, nil)
	r.e.Must(t, "", fmt.Sprintf(`mutation { login(input: {phone: %q, code: %q}) { token } }`,
		phone, r.e.SMS.LastCode(phone)), nil, &out)
	return out.Login.Token
}

func (r *readmeRun) record(data json.RawMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.data = append(r.data, data)
}

// answer is path (dot separated, numbers index lists) in the newest answer
// that has it; events of open subscriptions count, so it waits a little.
func (r *readmeRun) answer(t *testing.T, x readmeExample, path string) string {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		for i := len(r.data) - 1; i >= 0; i-- {
			if v, ok := lookup(r.data[i], strings.Split(path, ".")); ok {
				r.mu.Unlock()
				return v
			}
		}
		r.mu.Unlock()
	}
	t.Fatalf("README.md line %d: no earlier answer has %s", x.line, path)
	return ""
}

func lookup(data json.RawMessage, path []string) (string, bool) {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return "", false
	}
	for _, step := range path {
		switch n := v.(type) {
		case map[string]any:
			v = n[step]
		case []any:
			var i int
			if _, err := fmt.Sscan(step, &i); err != nil || i >= len(n) {
				return "", false
			}
			v = n[i]
		default:
			return "", false
		}
	}
	s, ok := v.(string)
	return s, ok && s != ""
}

// subscribe starts a subscription and keeps it open to the end, as a
// second playground tab would: its events are answers later examples use.
func (r *readmeRun) subscribe(t *testing.T, x readmeExample, query, token string) {
	t.Helper()
	ws := r.e.Socket(t, token).AutoPong()
	ws.Send("subscribe", "1", map[string]any{"query": query})
	s := &readmeSub{x: x}
	r.subs = append(r.subs, s)
	go func() {
		for {
			m, err := ws.Read(time.Minute)
			if err != nil {
				return // the socket closes when the test ends
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, m)
			s.mu.Unlock()
			var next struct{ Data json.RawMessage }
			if m.Type == "next" && json.Unmarshal(m.Payload, &next) == nil && next.Data != nil {
				r.record(next.Data)
			}
		}
	}()
	time.Sleep(100 * time.Millisecond) // a refusal comes at once; see checkSubscriptions
}

// checkSubscriptions fails on any subscription refused or ended with errors.
func (r *readmeRun) checkSubscriptions(t *testing.T) {
	t.Helper()
	time.Sleep(100 * time.Millisecond)
	for _, s := range r.subs {
		s.mu.Lock()
		for _, m := range s.msgs {
			var p struct{ Errors []any }
			_ = json.Unmarshal(m.Payload, &p)
			if m.Type == "error" || len(p.Errors) > 0 {
				t.Errorf("README.md line %d fails as written: %s %s", s.x.line, m.Type, m.Payload)
			}
		}
		s.mu.Unlock()
	}
}

// curl sends a curl example: -F form fields (multipart), -H headers, the URL.
func (r *readmeRun) curl(t *testing.T, x readmeExample, token string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	header := http.Header{}
	for i := 1; i < len(x.curl); i++ {
		switch arg := x.curl[i]; arg {
		case "-F":
			i++
			name, value, _ := strings.Cut(x.curl[i], "=")
			if file, ok := strings.CutPrefix(value, "@"); ok {
				w, _ := mw.CreateFormFile(name, file)
				_ = jpeg.Encode(w, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil) // any picture will do
				continue
			}
			_ = mw.WriteField(name, value)
		case "-H":
			i++
			k, v, _ := strings.Cut(x.curl[i], ": ")
			header.Set(k, placeholder.ReplaceAllStringFunc(v, func(p string) string { return r.resolve(t, x, p, r.reader) }))
		default:
			if !strings.HasSuffix(arg, "/graphql") {
				t.Fatalf("README.md line %d: the test does not know curl's %s", x.line, arg)
			}
		}
	}
	_ = mw.Close()
	req, _ := http.NewRequest(http.MethodPost, r.e.URL, &body)
	req.Header = header
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp := r.e.Send(t, req)
	if len(resp.Errors) > 0 || resp.Status != http.StatusOK {
		t.Fatalf("README.md line %d fails as written: %d %+v", x.line, resp.Status, resp.Errors)
	}
	r.record(resp.Data)
}
