package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent"
)

// A value the ent schema refuses is the client's input: BAD_USER_INPUT
// naming the field, without the value.
func TestSchemaValidationIsBadInput(t *testing.T) {
	present := errorPresenter(slog.New(slog.NewTextHandler(io.Discard, nil)))
	// The generated check runs before any database is touched.
	_, err := ent.NewClient().User.Create().SetPhoneHash([]byte("h")).SetPhoneCipher([]byte("c")).
		SetNickname(strings.Repeat("长", 33)).SetBirthDate(time.Now()).Save(context.Background())
	if !ent.IsValidationError(err) {
		t.Fatalf("not a validation error: %v", err)
	}
	err = fmt.Errorf("save: %w", err)
	got := present(context.Background(), err)
	if got.Extensions["code"] != "BAD_USER_INPUT" || got.Extensions["field"] != "nickname" || got.Message != "the value of nickname is not valid" {
		t.Fatalf("presented %q %v", got.Message, got.Extensions)
	}
}

// A validation error about what only the server writes (here a missing
// field) is the server's fault: INTERNAL, the column never named; a
// client's field is named as the graph spells it.
func TestServerColumnsAreNotNamed(t *testing.T) {
	present := errorPresenter(slog.New(slog.NewTextHandler(io.Discard, nil)))
	_, missing := ent.NewClient().User.Create().SetPhoneHash([]byte("h")).SetNickname("小明").
		SetBirthDate(time.Now()).Save(context.Background())
	if !ent.IsValidationError(missing) {
		t.Fatalf("not a validation error: %v", missing)
	}
	if got := present(context.Background(), missing); got.Extensions["code"] != "INTERNAL" ||
		strings.Contains(got.Message, "cipher") || got.Extensions["field"] != nil {
		t.Fatalf("presented %q %v", got.Message, got.Extensions)
	}
	_, place := ent.NewClient().Errand.Create().SetRequesterID(1).SetArea("东区").
		SetPickupPlace(strings.Repeat("站", 129)).Save(context.Background())
	if got := present(context.Background(), place); got.Extensions["field"] != "pickupPlace" {
		t.Fatalf("presented %q %v", got.Message, got.Extensions)
	}
}

// A request whose client went away (wrk closing its connections, a phone
// losing the network) is CANCELLED and logged as no error; one that ran out
// of time is TIMEOUT, whatever error the database driver chose to say it.
func TestCancelledAndTimedOutRequests(t *testing.T) {
	var logs strings.Builder
	present := errorPresenter(slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := present(ctx, fmt.Errorf("products: %w", context.Canceled)); got.Extensions["code"] != "CANCELLED" {
		t.Fatalf("cancelled: %q %v", got.Message, got.Extensions)
	}
	if got := present(ctx, fmt.Errorf("pq: canceling statement due to user request")); got.Extensions["code"] != "CANCELLED" {
		t.Fatalf("driver's own words: %q %v", got.Message, got.Extensions)
	}
	if strings.Contains(logs.String(), "ERROR") {
		t.Fatalf("a client going away is logged as an error:\n%s", logs.String())
	}
	dctx, dcancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer dcancel()
	if got := present(dctx, fmt.Errorf("pq: canceling statement due to user request")); got.Extensions["code"] != "TIMEOUT" {
		t.Fatalf("deadline: %q %v", got.Message, got.Extensions)
	}
	// A live request's failure is still INTERNAL.
	if got := present(context.Background(), fmt.Errorf("boom")); got.Extensions["code"] != "INTERNAL" {
		t.Fatalf("internal: %v", got.Extensions)
	}
}
