package account

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/accountchange"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// Service changes accounts.
type Service struct {
	client *ent.Client
	keys   vault.Keys
	now    func() time.Time
}

// New wires the service.
func New(client *ent.Client, keys vault.Keys, now func() time.Time) *Service {
	return &Service{client: client, keys: keys, now: now}
}

// Phone opens the user's sealed phone number. Callers show it masked.
func (s *Service) Phone(u *ent.User) (string, error) { return OpenPhone(s.keys.Ring, u) }

// Profile is a change of the public profile (R1).
type Profile struct {
	Nickname, AvatarURL, School *string
}

// UpdateProfile changes a user's public profile and records, in the same
// transaction, which fields changed (R1: every correction is recorded; the
// record holds no value, old or new).
func (s *Service) UpdateProfile(ctx context.Context, userID int, p Profile) (*ent.User, error) {
	want, err := p.check()
	if err != nil {
		return nil, err
	}
	var out *ent.User
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if err := store.LockUser(ctx, tx, userID); err != nil {
			return err
		}
		u, err := tx.User.Get(ctx, userID)
		if err != nil {
			return err
		}
		upd := tx.User.UpdateOneID(userID)
		var changed []accountchange.Field
		if want.Nickname != nil && *want.Nickname != u.Nickname {
			upd.SetNickname(*want.Nickname)
			changed = append(changed, accountchange.FieldNICKNAME)
		}
		if want.AvatarURL != nil && *want.AvatarURL != u.AvatarURL {
			upd.SetAvatarURL(*want.AvatarURL)
			changed = append(changed, accountchange.FieldAVATAR)
		}
		if want.School != nil && *want.School != u.School {
			upd.SetSchool(*want.School)
			changed = append(changed, accountchange.FieldSCHOOL)
		}
		if len(changed) == 0 {
			out = u
			return nil
		}
		if out, err = upd.Save(ctx); err != nil {
			return err
		}
		return RecordChanges(ctx, tx, userID, s.now(), changed...)
	})
	return out, err
}

// check validates and normalises a profile change.
func (p Profile) check() (Profile, error) {
	var out Profile
	if p.Nickname != nil {
		n, err := ValidateNickname(*p.Nickname)
		if err != nil {
			return out, err
		}
		out.Nickname = &n
	}
	if p.AvatarURL != nil {
		u := media.Unsigned(strings.TrimSpace(*p.AvatarURL)) // the app may pass the signed URL it was shown
		// A picture of our own store: an avatar from another host would
		// tell that host the address of everyone who views the profile.
		if u != "" && !media.IsURL(u) {
			return out, apperr.BadField("avatarURL", "an avatar is the URL of an uploaded picture (%s...)", media.URLPath)
		}
		out.AvatarURL = &u
	}
	if p.School != nil {
		sc := strings.TrimSpace(*p.School)
		if utf8.RuneCountInString(sc) > 64 {
			return out, apperr.BadField("school", "a school name has at most 64 characters")
		}
		out.School = &sc
	}
	return out, nil
}

// RecordChanges records in tx that userID corrected these parts of their
// account (R1): which part and when, never a value.
func RecordChanges(ctx context.Context, tx *ent.Tx, userID int, at time.Time, fields ...accountchange.Field) error {
	rows := make([]*ent.AccountChangeCreate, len(fields))
	for i, f := range fields {
		rows[i] = tx.AccountChange.Create().SetUserID(userID).SetField(f).SetCreatedAt(at)
	}
	return tx.AccountChange.CreateBulk(rows...).Exec(ctx)
}
