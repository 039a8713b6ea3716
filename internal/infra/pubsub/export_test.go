package pubsub

// SubscriberCount reports how many subscriptions b holds, for tests.
func SubscriberCount(b Bus) int {
	switch b := b.(type) {
	case *localBus:
		return b.h.count()
	case *pgBus:
		return b.h.count()
	}
	panic("pubsub: unknown bus")
}
