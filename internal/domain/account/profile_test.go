package account_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/accountchange"
	"github.com/tongxue/tongxue/internal/apitest"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

const updateProfile = `mutation($in: ProfileInput!) { updateProfile(input: $in) { profile { nickname school avatarURL } } }`

func changesOf(t *testing.T, db *store.DB, userID int) []accountchange.Field {
	t.Helper()
	rows := db.Client.AccountChange.Query().Where(accountchange.UserID(userID)).
		Order(ent.Asc(accountchange.FieldID)).AllX(t.Context())
	out := make([]accountchange.Field, len(rows))
	for i, r := range rows {
		out[i] = r.Field
	}
	return out
}

// R1: each profile field a correction changes is recorded once (which
// field and when, never a value), in the transaction of the change; a field
// given its current value, or a refused correction, records nothing.
func TestProfileCorrectionsAreRecorded(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		clock := testdb.NewClock(time.Now().Truncate(time.Second)) // as stored: PostgreSQL keeps microseconds
		e := apitest.New(t, db, apitest.Options{Now: clock.Now})
		tok := e.Login(t, "13500001111")
		id := e.UserID(t, "13500001111")
		avatar := "/media/" + strings.Repeat("ab", 32)

		e.Must(t, tok, updateProfile, map[string]any{"in": map[string]any{"nickname": "改名同学", "school": "北京大学"}}, nil)
		if got := changesOf(t, db, id); len(got) != 2 || got[0] != accountchange.FieldNICKNAME || got[1] != accountchange.FieldSCHOOL {
			t.Fatalf("after nickname and school: %v", got)
		}
		// The same values again, and a refused avatar: nothing more.
		e.Must(t, tok, updateProfile, map[string]any{"in": map[string]any{"nickname": " 改名同学 ", "school": "北京大学"}}, nil)
		if r := e.Post(t, tok, updateProfile, map[string]any{"in": map[string]any{"nickname": "再改", "avatarURL": "https://elsewhere.example/a.jpg"}}); r.Code() != "BAD_USER_INPUT" {
			t.Fatalf("another host's avatar: %+v", r.Errors)
		}
		if got := changesOf(t, db, id); len(got) != 2 {
			t.Fatalf("unchanged or refused fields recorded: %v", got)
		}
		if u := db.Client.User.GetX(t.Context(), id); u.Nickname != "改名同学" {
			t.Fatalf("a refused correction changed the nickname to %q", u.Nickname)
		}
		clock.Add(time.Hour)
		var out struct {
			UpdateProfile struct {
				Profile struct{ Nickname, School, AvatarURL string }
			}
		}
		e.Must(t, tok, updateProfile, map[string]any{"in": map[string]any{"avatarURL": avatar, "school": "北京大学"}}, &out)
		if p := out.UpdateProfile.Profile; p.Nickname != "改名同学" || p.School != "北京大学" || !strings.Contains(p.AvatarURL, avatar) {
			t.Fatalf("profile %+v", p)
		}
		rows := db.Client.AccountChange.Query().Where(accountchange.UserID(id)).Order(ent.Asc(accountchange.FieldID)).AllX(t.Context())
		if len(rows) != 3 || rows[2].Field != accountchange.FieldAVATAR || !rows[2].CreatedAt.Equal(clock.Now()) {
			t.Fatalf("after the avatar: %+v", rows)
		}
		// The records hold no value, old or new.
		raw, err := db.SQL.Query(`SELECT * FROM account_changes`)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		cols, _ := raw.Columns()
		for raw.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := raw.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				s := toString(v)
				for _, secret := range []string{"改名同学", "测试同学", "北京大学", avatar, strings.Repeat("ab", 32), "13500001111"} {
					if strings.Contains(s, secret) {
						t.Fatalf("account_changes.%s holds %q", cols[i], secret)
					}
				}
			}
		}
		if err := raw.Err(); err != nil {
			t.Fatal(err)
		}
	})
}

func toString(v any) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	default:
		return ""
	}
}
