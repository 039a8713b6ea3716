package privacy

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// TestGateEventsLeavesNoGoroutine: the goroutine that forwards a gated
// stream ends when the subscription's context ends and when the stream
// closes, with no event waiting to be read.
func TestGateEventsLeavesNoGoroutine(t *testing.T) {
	s := &Service{}
	before := runtime.NumGoroutine()
	stop := func(context.Context, error) { t.Error("stop called without an event") }
	for range 50 {
		ctx, cancel := context.WithCancel(context.Background())
		out := s.gateEvents(ctx, 1, 1, make(<-chan int), stop).(<-chan int)
		cancel()
		waitClosed(t, out)

		in := make(chan string)
		out2 := s.gateEvents(context.Background(), 1, 1, (<-chan string)(in), stop).(<-chan string)
		close(in)
		waitClosed(t, out2)
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if now := runtime.NumGoroutine(); now > before {
		t.Fatalf("%d goroutines before, %d after 100 gated streams ended", before, now)
	}
}

func waitClosed[T any](t *testing.T, c <-chan T) {
	t.Helper()
	select {
	case _, ok := <-c:
		if ok {
			t.Fatal("an event came out of a stream that had none")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the gated stream did not close")
	}
}
