package loader

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBatchesConcurrentLoads(t *testing.T) {
	var calls atomic.Int32
	// The window is far longer than starting 50 goroutines takes, even on a
	// busy machine under -race, so they all fall into one batch.
	l := New(500*time.Millisecond, func(_ context.Context, keys []int) (map[int]bool, error) {
		calls.Add(1)
		out := map[int]bool{}
		for _, k := range keys {
			out[k] = k%2 == 0
		}
		return out, nil
	})
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := l.Load(context.Background(), i)
			if err != nil || v != (i%2 == 0) {
				t.Errorf("Load(%d) = %v, %v", i, v, err)
			}
		}()
	}
	wg.Wait()
	if c := calls.Load(); c != 1 {
		t.Fatalf("%d fetches for 50 concurrent loads", c)
	}
	if v, _ := l.Load(context.Background(), 4); !v || calls.Load() != 1 {
		t.Fatal("a loaded key was fetched again")
	}
	if _, _ = l.Load(context.Background(), 1000); calls.Load() != 2 {
		t.Fatal("a new key was not fetched")
	}
}

func TestCancelledLoad(t *testing.T) {
	l := New(50*time.Millisecond, func(_ context.Context, keys []int) (map[int]int, error) { return nil, nil })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Load(ctx, 1); err != context.Canceled {
		t.Fatalf("err %v", err)
	}
}
