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
