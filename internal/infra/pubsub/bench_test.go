package pubsub_test

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tongxue/tongxue/internal/infra/pubsub"
)

// BenchmarkFanout1000 measures, per message, the time from Publish until all
// 1,000 subscribers of its topic have received it.
func BenchmarkFanout1000(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			bus := be.open(b, pubsub.Options{PingInterval: time.Minute})
			const subscribers = 1000
			var got atomic.Int64
			all := make(chan struct{}, 1)
			for range subscribers {
				s := subscribe(b, bus, "bench")
				go func() {
					for range s.C() {
						if got.Add(1) == subscribers {
							all <- struct{}{}
						}
					}
				}()
			}
			payload := []byte(`{"id":"T3JkZXI6MTIz","state":"PAID"}`)
			var lat []time.Duration
			for b.Loop() {
				got.Store(0) // every subscriber has counted the previous message
				start := time.Now()
				publish(b, bus, "bench", payload)
				<-all
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
			b.ReportMetric(pct(0.50), "p50-µs")
			b.ReportMetric(pct(0.99), "p99-µs")
		})
	}
}
