package errands

import (
	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/internal/domain/address"
)

// View is an errand opened for the graph: @mask hides the credential and
// the delivery details; the requester and the runner may reveal the
// credential, the runner the delivery address (each reveal audited).
type View struct {
	*ent.Errand
	Credential *string
	Delivery   *DeliveryView
}

// OwnerID is the requester.
func (v *View) OwnerID() int { return v.RequesterID }

// MayReveal lets the requester and the assigned runner read the credential.
func (v *View) MayReveal(viewerID int, field string) (string, bool) {
	if field == "Errand.credential" && (viewerID == v.RequesterID || v.RunnerID != nil && *v.RunnerID == viewerID) {
		return "pick-up of errand", true
	}
	return "", false
}

// PhotoKey is the parcel photo, for the requester and the runner.
func (v *View) Photo(viewerID int) *string {
	if v.PhotoKey == nil || (viewerID != v.RequesterID && (v.RunnerID == nil || *v.RunnerID != viewerID)) {
		return nil
	}
	return v.PhotoKey
}

// DeliveryView is who and where the parcel goes.
type DeliveryView struct {
	address.Delivery
	requesterID int
	runnerID    *int
}

// OwnerID is the requester.
func (d *DeliveryView) OwnerID() int { return d.requesterID }

// MayReveal lets the runner read the address while the parcel is theirs
// to deliver (runnerID is set only then).
func (d *DeliveryView) MayReveal(viewerID int, field string) (string, bool) {
	if field == "ErrandDelivery.address" && d.runnerID != nil && *d.runnerID == viewerID {
		return "delivery of errand", true
	}
	return "", false
}

func (s *Service) view(e *ent.Errand) (*View, error) {
	d, err := address.Open(s.ring, errand.Table, e.RecipientNameCipher, e.RecipientPhoneCipher, e.AddressCipher)
	if err != nil {
		return nil, err
	}
	v := &View{Errand: e, Delivery: &DeliveryView{Delivery: d, requesterID: e.RequesterID}}
	if e.Status == errand.StatusTAKEN || e.Status == errand.StatusPICKED_UP {
		v.Delivery.runnerID = e.RunnerID
	}
	if e.CredentialCipher != nil && len(*e.CredentialCipher) > 0 {
		c, err := s.ring.Open(*e.CredentialCipher, credentialColumn)
		if err != nil {
			return nil, err
		}
		str := string(c)
		v.Credential = &str
	}
	return v, nil
}
