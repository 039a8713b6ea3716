package privacy

import (
	"context"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/auth"
)

// GateSubscription is Gate (P1) for one subscription operation: gqlgen runs
// no root-field middleware for subscriptions, so internal/api wraps the
// operation's field middleware, next, in this one (queries pay nothing).
// A subscription field does not start while the viewer has a major policy
// version to accept. A running one looks again at each event, before the
// event is resolved: once such a version is in force and the viewer has not
// accepted it (on any instance) since, the stream ends and stop gets
// POLICY_UPDATE_REQUIRED, to answer with; nothing of the event is sent.
func (s *Service) GateSubscription(stop func(context.Context, error), next graphql.FieldMiddleware) graphql.FieldMiddleware {
	return func(ctx context.Context, resolve graphql.Resolver) (any, error) {
		fc := graphql.GetFieldContext(ctx)
		v := auth.FromContext(ctx)
		if v == nil || fc == nil || fc.Object != "Subscription" || policyExempt(fc.Field.Definition) {
			return next(ctx, resolve)
		}
		if err := s.UpdateRequired(ctx, v); err != nil {
			return nil, err
		}
		res, err := next(ctx, resolve)
		if err != nil {
			return res, err
		}
		return s.gateEvents(ctx, v.UserID, v.AcceptedPolicySeq, res, stop), nil
	}
}

// policyExempt reports whether a field is marked @policyExempt.
func policyExempt(f *ast.FieldDefinition) bool {
	return f != nil && f.Directives.ForName("policyExempt") != nil
}

// gateEvents passes the events of stream (a receive channel of any element
// type, as the resolver returned it) on while the user's acceptance covers
// the major version in force.
func (s *Service) gateEvents(ctx context.Context, userID, accepted int, stream any, stop func(context.Context, error)) any {
	in := reflect.ValueOf(stream)
	if in.Kind() != reflect.Chan || in.IsNil() {
		return stream
	}
	out := reflect.MakeChan(reflect.ChanOf(reflect.BothDir, in.Type().Elem()), 0)
	done := reflect.ValueOf(ctx.Done())
	go func() {
		defer out.Close()
		recv := []reflect.SelectCase{{Dir: reflect.SelectRecv, Chan: in}, {Dir: reflect.SelectRecv, Chan: done}}
		for {
			i, ev, ok := reflect.Select(recv)
			if i == 1 || !ok {
				return
			}
			if err := s.stillAccepted(ctx, userID, &accepted); err != nil {
				if ctx.Err() == nil {
					stop(ctx, err)
				}
				return
			}
			send := []reflect.SelectCase{{Dir: reflect.SelectSend, Chan: out, Send: ev}, {Dir: reflect.SelectRecv, Chan: done}}
			if i, _, _ := reflect.Select(send); i == 1 {
				return
			}
		}
	}()
	return out.Convert(in.Type()).Interface()
}

// stillAccepted is UpdateRequired for a long-lived stream: the version in
// force comes from the shared cache, and the user's acceptance is read
// again only when it falls short (they may have accepted since).
func (s *Service) stillAccepted(ctx context.Context, userID int, accepted *int) error {
	seq, version, err := s.required(ctx)
	if err != nil || *accepted >= seq {
		return err
	}
	now, err := s.client.User.Query().Where(user.ID(userID)).Select(user.FieldAcceptedPolicySeq).Int(ctx)
	if err != nil {
		return err
	}
	*accepted = now
	if now < seq {
		return updateRequired(version)
	}
	return nil
}
