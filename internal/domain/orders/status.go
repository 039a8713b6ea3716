package orders

import (
	"github.com/tongxue/tongxue/ent/order"
	"github.com/tongxue/tongxue/ent/orderevent"
	"github.com/tongxue/tongxue/internal/infra/apperr"
)

// Actor is who moves an order on.
type Actor = orderevent.Actor

const (
	Buyer    = orderevent.ActorBUYER
	Merchant = orderevent.ActorMERCHANT
	Courier  = orderevent.ActorCOURIER
	Payment  = orderevent.ActorPAYMENT
	System   = orderevent.ActorSYSTEM
	Staff    = orderevent.ActorSTAFF
)

// Status is an order's state.
type Status = order.Status

// The state machine (S3): each allowed move and who may make it. Anything
// not listed is refused.
var transitions = map[Status]map[Status][]Actor{
	order.StatusAWAITING_PAYMENT: {
		order.StatusPAID:      {Payment},
		order.StatusCANCELLED: {Buyer, System, Staff},
	},
	order.StatusPAID: {
		order.StatusSHIPPED:          {Merchant},
		order.StatusREFUND_REQUESTED: {Buyer},
	},
	order.StatusSHIPPED: {
		order.StatusDELIVERED:        {Merchant, Courier},
		order.StatusREFUND_REQUESTED: {Buyer},
	},
	order.StatusDELIVERED: {
		order.StatusCOMPLETED:        {Buyer, System},
		order.StatusREFUND_REQUESTED: {Buyer},
	},
	order.StatusREFUND_REQUESTED: {
		order.StatusREFUNDED:  {Merchant, Staff},
		order.StatusCOMPLETED: {Staff}, // refund declined after review
	},
}

// CanMove reports whether actor may move an order from one status to another.
func CanMove(from, to Status, actor Actor) error {
	actors, ok := transitions[from][to]
	if !ok {
		return apperr.New(apperr.CodeInvalidTransition, "an order cannot go from %s to %s", from, to).
			With("from", string(from)).With("to", string(to))
	}
	for _, a := range actors {
		if a == actor {
			return nil
		}
	}
	return apperr.Forbidden("%s cannot move an order from %s to %s", actor, from, to)
}
