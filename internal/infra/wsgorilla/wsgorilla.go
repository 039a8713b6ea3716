// Package wsgorilla adapts github.com/gorilla/websocket to gqlgen's websocket
// transport. Since gqlgen v0.17.92 the transport talks to a websocket library
// through transport.WebsocketImplementation and only ships a coder/websocket
// adapter; this package is the gorilla equivalent.
//
//	srv.AddTransport(transport.Websocket{
//		Implementation: wsgorilla.New(wsgorilla.Options{
//			CheckOrigin: wsgorilla.AllowOrigins([]string{"https://app.example.com"}),
//		}),
//	})
package wsgorilla

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
)

// DefaultWriteTimeout bounds every write when no WriteTimeout is configured.
const DefaultWriteTimeout = 10 * time.Second

// maxCloseReason is what is left for the reason in a close frame: control
// frames carry at most 125 bytes and the status code takes two of them.
const maxCloseReason = 123

// Options configures New.
type Options struct {
	// CheckOrigin decides whether a handshake is accepted, see AllowOrigins.
	// nil means AllowOrigins(nil): requests without an Origin header or from
	// the same host only. Refused handshakes get HTTP 403.
	CheckOrigin func(r *http.Request) bool
	// Subprotocols are preferred, in order, over gqlgen's own list
	// (graphql-ws, then graphql-transport-ws), which is always merged in.
	Subprotocols []string
	// ReadBufferSize and WriteBufferSize are gorilla's I/O buffer sizes; zero
	// means gorilla's default (4096). They do not limit message size.
	ReadBufferSize, WriteBufferSize int
	// WriteTimeout bounds each write, so a peer that stops reading can never
	// block a writer (and with it the whole connection) forever.
	// Zero or negative means DefaultWriteTimeout.
	WriteTimeout time.Duration
	// EnableCompression negotiates permessage-deflate. Off by default: the
	// messages are small and compression costs memory per connection.
	EnableCompression bool
}

// Implementation is a transport.WebsocketImplementation over gorilla. The
// zero value works (gorilla's same-host origin check, DefaultWriteTimeout);
// Upgrader may be tuned directly for settings Options does not cover.
type Implementation struct {
	Upgrader     websocket.Upgrader
	WriteTimeout time.Duration
}

var _ transport.WebsocketImplementation = (*Implementation)(nil)

// New returns an Implementation configured from opts.
func New(opts Options) *Implementation {
	checkOrigin := opts.CheckOrigin
	if checkOrigin == nil {
		checkOrigin = AllowOrigins(nil)
	}
	return &Implementation{
		Upgrader: websocket.Upgrader{
			ReadBufferSize:    opts.ReadBufferSize,
			WriteBufferSize:   opts.WriteBufferSize,
			Subprotocols:      slices.Clone(opts.Subprotocols),
			CheckOrigin:       checkOrigin,
			EnableCompression: opts.EnableCompression,
		},
		WriteTimeout: opts.WriteTimeout,
	}
}

// Accept upgrades the request. On failure gorilla has already written the
// HTTP error (403 for a refused origin, 400 for a bad handshake).
func (i *Implementation) Accept(
	w http.ResponseWriter,
	r *http.Request,
	options transport.WebsocketAcceptOptions,
) (transport.WebsocketConn, error) {
	u := i.Upgrader
	// Clone before appending: Accept runs concurrently and must not share
	// the configured slice's backing array.
	u.Subprotocols = slices.Clone(u.Subprotocols)
	for _, p := range options.Subprotocols {
		if !slices.Contains(u.Subprotocols, p) {
			u.Subprotocols = append(u.Subprotocols, p)
		}
	}

	ws, err := u.Upgrade(w, r, options.ResponseHeader)
	if err != nil {
		return nil, err
	}

	timeout := i.WriteTimeout
	if timeout <= 0 {
		timeout = DefaultWriteTimeout
	}
	// gorilla's default ping handler already answers websocket-level pings.
	// gqlgen's liveness checks are JSON messages: graphql-transport-ws
	// ping/pong, which arms and clears the read deadline via SetReadDeadline,
	// and graphql-ws "ka", which is send-only. So no control-frame pong
	// handler may move the read deadline behind gqlgen's back.
	return &conn{ws: ws, writeTimeout: timeout}, nil
}

type conn struct {
	ws           *websocket.Conn
	writeTimeout time.Duration
	writeMu      sync.Mutex // gorilla allows a single concurrent data writer
}

var (
	_ transport.WebsocketConn          = (*conn)(nil)
	_ transport.WebsocketReadLimiter   = (*conn)(nil)
	_ transport.WebsocketReadDeadliner = (*conn)(nil)
)

func (c *conn) Close() error { return c.ws.Close() }

// NextReader maps a peer's normal close (1000, or a close frame without a
// status) to transport.ErrWebsocketClosed, like gqlgen's coder adapter, so
// the transport ends quietly instead of reporting a read error.
func (c *conn) NextReader() (int, io.Reader, error) {
	messageType, r, err := c.ws.NextReader()
	if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseNoStatusReceived) {
		return messageType, nil, transport.ErrWebsocketClosed
	}
	return messageType, r, err
}

func (c *conn) WriteJSON(v any) error {
	data, err := json.Marshal(v) // outside the lock
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if err := c.ws.SetWriteDeadline(time.Now().Add(c.writeTimeout)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

// WriteClose sends a close frame. gorilla's WriteControl may run concurrently
// with a data writer and takes its own deadline, so writeMu is not needed
// (and not waiting on it keeps a close from queueing behind a stuck write).
func (c *conn) WriteClose(closeCode int, message string) error {
	frame := websocket.FormatCloseMessage(closeCode, truncateReason(message))
	return c.ws.WriteControl(websocket.CloseMessage, frame, time.Now().Add(c.writeTimeout))
}

func (c *conn) Subprotocol() string { return c.ws.Subprotocol() }

// SetReadLimit lets gqlgen enforce PayloadReadLimit: gorilla then answers an
// oversized message with close 1009 and NextReader fails with ErrReadLimit.
func (c *conn) SetReadLimit(limit int64) { c.ws.SetReadLimit(limit) }

// SetReadDeadline lets gqlgen enforce PingPongInterval pong time-outs. It is
// safe to call while NextReader blocks: it sets the net.Conn deadline.
func (c *conn) SetReadDeadline(t time.Time) error { return c.ws.SetReadDeadline(t) }

// truncateReason keeps a close reason within a control frame (an oversized one
// makes gorilla refuse to send the frame at all) without splitting a rune,
// since peers reject close reasons that are not valid UTF-8.
func truncateReason(s string) string {
	if len(s) <= maxCloseReason {
		return s
	}
	n := maxCloseReason
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// AllowOrigins returns a CheckOrigin that accepts a handshake when it has no
// Origin header (native apps; browsers always send one), when the Origin's
// host equals the request's Host, or when the Origin matches one of patterns.
// Everything else, including a malformed or "null" Origin, is refused.
//
// Patterns are path.Match patterns compared case-insensitively with the
// Origin's host[:port] ("app.example.com", "*.example.com"), or with
// scheme://host[:port] when the pattern contains "://"
// ("https://app.example.com"). It panics on a malformed pattern.
func AllowOrigins(patterns []string) func(*http.Request) bool {
	lower := make([]string, len(patterns))
	for i, p := range patterns {
		lower[i] = strings.ToLower(p)
		if _, err := path.Match(lower[i], ""); err != nil {
			panic(fmt.Sprintf("wsgorilla: bad origin pattern %q: %v", p, err))
		}
	}
	return func(r *http.Request) bool {
		origins, ok := r.Header["Origin"]
		if !ok {
			return true
		}
		if len(origins) != 1 {
			return false
		}
		u, err := url.Parse(origins[0])
		if err != nil || u.Scheme == "" || u.Host == "" {
			return false
		}
		host := strings.ToLower(u.Host)
		if host == strings.ToLower(r.Host) {
			return true
		}
		withScheme := strings.ToLower(u.Scheme) + "://" + host
		for _, p := range lower {
			target := host
			if strings.Contains(p, "://") {
				target = withScheme
			}
			if ok, _ := path.Match(p, target); ok {
				return true
			}
		}
		return false
	}
}
