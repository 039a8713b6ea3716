// Package address keeps users' delivery addresses (S6): recipient name,
// phone and address, sealed at rest and shown masked.
package address

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/address"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/phone"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// MaxPerUser bounds a user's address book.
const MaxPerUser = 20

// Delivery is who and where to deliver to, in the clear (only in memory).
type Delivery struct {
	RecipientName, Phone, Address string
}

// View is an address with its fields opened, for the graph (which masks
// them).
type View struct {
	ID, UserID int
	Label      string
	IsDefault  bool
	Delivery
	CreatedAt time.Time
}

// OwnerID is the address's user, for @mask reveals.
func (v *View) OwnerID() int { return v.UserID }

// Service manages addresses.
type Service struct {
	client *ent.Client
	ring   *vault.Keyring
	now    func() time.Time
}

// New returns the service.
func New(client *ent.Client, ring *vault.Keyring, now func() time.Time) *Service {
	return &Service{client: client, ring: ring, now: now}
}

// Input is a new or changed address.
type Input struct {
	Label         string
	RecipientName string
	Phone         string
	Address       string
	IsDefault     bool
}

// Validate normalises the delivery details.
func Validate(in Input) (Delivery, error) {
	name := strings.TrimSpace(in.RecipientName)
	if n := utf8.RuneCountInString(name); n < 1 || n > 32 {
		return Delivery{}, apperr.BadField("recipientName", "the recipient's name has 1 to 32 characters")
	}
	p, err := phone.Normalize(in.Phone)
	if err != nil {
		return Delivery{}, apperr.BadField("phone", "%s", err.Error())
	}
	addr := strings.TrimSpace(in.Address)
	if n := utf8.RuneCountInString(addr); n < 5 || n > 200 {
		return Delivery{}, apperr.BadField("address", "the address has 5 to 200 characters")
	}
	if utf8.RuneCountInString(strings.TrimSpace(in.Label)) > 16 { // stored trimmed
		return Delivery{}, apperr.BadField("label", "a label has at most 16 characters")
	}
	return Delivery{RecipientName: name, Phone: p, Address: addr}, nil
}

// Seal seals delivery details for a table's three sealed columns.
func Seal(ring *vault.Keyring, table string, d Delivery) (name, ph, addr []byte) {
	return ring.Seal([]byte(d.RecipientName), table+".recipient_name_cipher"),
		ring.Seal([]byte(d.Phone), table+".recipient_phone_cipher"),
		ring.Seal([]byte(d.Address), table+".address_cipher")
}

// Open opens what Seal sealed.
func Open(ring *vault.Keyring, table string, name, ph, addr []byte) (Delivery, error) {
	var d Delivery
	for _, f := range []struct {
		dst    *string
		sealed []byte
		column string
	}{
		{&d.RecipientName, name, "recipient_name_cipher"},
		{&d.Phone, ph, "recipient_phone_cipher"},
		{&d.Address, addr, "address_cipher"},
	} {
		p, err := ring.Open(f.sealed, table+"."+f.column)
		if err != nil {
			return Delivery{}, err
		}
		*f.dst = string(p)
	}
	return d, nil
}

// Create adds an address for userID.
func (s *Service) Create(ctx context.Context, userID int, in Input) (*View, error) {
	d, err := Validate(in)
	if err != nil {
		return nil, err
	}
	var a *ent.Address
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// Two creates at once must not both pass the limit or both become the default.
		if err := store.LockUser(ctx, tx, userID); err != nil {
			return err
		}
		n, err := tx.Address.Query().Where(address.UserID(userID)).Count(ctx)
		if err != nil {
			return err
		}
		if n >= MaxPerUser {
			return apperr.BadInput("at most %d addresses", MaxPerUser)
		}
		def := in.IsDefault || n == 0
		if def {
			if err := tx.Address.Update().Where(address.UserID(userID)).SetIsDefault(false).Exec(ctx); err != nil {
				return err
			}
		}
		name, ph, addr := Seal(s.ring, address.Table, d)
		a, err = tx.Address.Create().SetUserID(userID).SetLabel(strings.TrimSpace(in.Label)).SetIsDefault(def).
			SetRecipientNameCipher(name).SetRecipientPhoneCipher(ph).SetAddressCipher(addr).
			SetCreatedAt(s.now()).Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.view(a)
}

// Delete removes one of userID's addresses.
func (s *Service) Delete(ctx context.Context, userID, id int) error {
	n, err := s.client.Address.Delete().Where(address.ID(id), address.UserID(userID)).Exec(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.NotFound("address")
	}
	return nil
}

// List returns userID's addresses, default first.
func (s *Service) List(ctx context.Context, userID int) ([]*View, error) {
	as, err := s.client.Address.Query().Where(address.UserID(userID)).
		Order(ent.Desc(address.FieldIsDefault), ent.Asc(address.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*View, len(as))
	for i, a := range as {
		if out[i], err = s.view(a); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Get returns one of userID's addresses in the clear (for placing an order).
func (s *Service) Get(ctx context.Context, userID, id int) (*View, error) {
	a, err := s.client.Address.Query().Where(address.ID(id), address.UserID(userID)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("address")
	}
	if err != nil {
		return nil, err
	}
	return s.view(a)
}

func (s *Service) view(a *ent.Address) (*View, error) {
	d, err := Open(s.ring, address.Table, a.RecipientNameCipher, a.RecipientPhoneCipher, a.AddressCipher)
	if err != nil {
		return nil, err
	}
	return &View{ID: a.ID, UserID: a.UserID, Label: a.Label, IsDefault: a.IsDefault, Delivery: d, CreatedAt: a.CreatedAt}, nil
}
