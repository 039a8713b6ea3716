package account

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// Service changes accounts.
type Service struct {
	client *ent.Client
	keys   vault.Keys
}

// New wires the service.
func New(client *ent.Client, keys vault.Keys) *Service {
	return &Service{client: client, keys: keys}
}

// Phone opens the user's sealed phone number. Callers show it masked.
func (s *Service) Phone(u *ent.User) (string, error) { return OpenPhone(s.keys.Ring, u) }

// Profile is a change of the public profile (R1).
type Profile struct {
	Nickname, AvatarURL, School *string
}

// UpdateProfile changes a user's public profile.
func (s *Service) UpdateProfile(ctx context.Context, userID int, p Profile) (*ent.User, error) {
	upd := s.client.User.UpdateOneID(userID)
	if p.Nickname != nil {
		n, err := ValidateNickname(*p.Nickname)
		if err != nil {
			return nil, err
		}
		upd.SetNickname(n)
	}
	if p.AvatarURL != nil {
		u := media.Unsigned(strings.TrimSpace(*p.AvatarURL)) // the app may pass the signed URL it was shown
		// A picture of our own store: an avatar from another host would
		// tell that host the address of everyone who views the profile.
		if u != "" && !media.IsURL(u) {
			return nil, apperr.BadField("avatarURL", "an avatar is the URL of an uploaded picture (%s...)", media.URLPath)
		}
		upd.SetAvatarURL(u)
	}
	if p.School != nil {
		sc := strings.TrimSpace(*p.School)
		if utf8.RuneCountInString(sc) > 64 {
			return nil, apperr.BadField("school", "a school name has at most 64 characters")
		}
		upd.SetSchool(sc)
	}
	return upd.Save(ctx)
}
