// Package errands runs parcel pick-up errands (E1, E2): a student posts one,
// a runner takes it and moves it along; the pick-up credential is seen only
// by the two of them and erased when the errand ends.
package errands

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/errand"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/address"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/live"
	"github.com/tongxue/tongxue/internal/infra/paging"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

const credentialColumn = errand.Table + "." + errand.FieldCredentialCipher

// Service runs errands.
type Service struct {
	client *ent.Client
	ring   *vault.Keyring
	images media.Store
	bus    pubsub.Bus
	priv   *privacy.Service
	now    func() time.Time
	log    *slog.Logger
}

// Deps are what the service is built from.
type Deps struct {
	Client  *ent.Client
	Ring    *vault.Keyring
	Media   media.Store
	Bus     pubsub.Bus
	Privacy *privacy.Service
	Now     func() time.Time
	Log     *slog.Logger
}

// New returns the service.
func New(d Deps) *Service {
	return &Service{client: d.Client, ring: d.Ring, images: d.Media, bus: d.Bus, priv: d.Privacy, now: d.Now, log: d.Log}
}

// Input is a new errand.
type Input struct {
	Area, PickupPlace string
	Credential        string // pick-up code or QR payload
	ParcelType        errand.ParcelType
	WeightGrams       int
	RewardFen         int64
	Delivery          address.Input
	Photo             []byte // optional
}

// Post creates an errand for the viewer.
func (s *Service) Post(ctx context.Context, v *auth.Viewer, in Input) (*View, error) {
	area, place, cred := strings.TrimSpace(in.Area), strings.TrimSpace(in.PickupPlace), strings.TrimSpace(in.Credential)
	switch {
	case utf8.RuneCountInString(area) < 1 || utf8.RuneCountInString(area) > 64:
		return nil, apperr.BadField("area", "the area has 1 to 64 characters")
	case utf8.RuneCountInString(place) < 1 || utf8.RuneCountInString(place) > 128:
		return nil, apperr.BadField("pickupPlace", "the pick-up place has 1 to 128 characters")
	case len(cred) < 1 || len(cred) > 2048:
		return nil, apperr.BadField("credential", "give the pick-up code or QR payload")
	case in.WeightGrams < 1 || in.WeightGrams > 30000:
		return nil, apperr.BadField("weightGrams", "the weight is 1 g to 30 kg")
	case in.RewardFen < 100 || in.RewardFen > 100000:
		return nil, apperr.BadField("rewardFen", "the reward is 1 to 1000 yuan")
	}
	d, err := address.Validate(in.Delivery)
	if err != nil {
		return nil, err
	}
	var photoKey *string
	if len(in.Photo) > 0 {
		img, err := media.Clean(in.Photo, media.Limits{MaxBytes: 5 << 20, MaxPixels: 40_000_000, MaxSide: 12_000})
		if err != nil {
			return nil, apperr.BadField("photo", "the photo must be a JPEG or PNG of at most 5 MB")
		}
		key, err := s.images.Put(ctx, img)
		if err != nil {
			return nil, err
		}
		photoKey = &key
	}
	name, ph, addr := address.Seal(s.ring, errand.Table, d)
	e, err := s.client.Errand.Create().SetRequesterID(v.UserID).SetArea(area).SetPickupPlace(place).
		SetCredentialCipher(s.ring.Seal([]byte(cred), credentialColumn)).SetParcelType(in.ParcelType).
		SetWeightGrams(in.WeightGrams).SetRewardFen(in.RewardFen).SetNillablePhotoKey(photoKey).
		SetRecipientNameCipher(name).SetRecipientPhoneCipher(ph).SetAddressCipher(addr).
		SetCreatedAt(s.now()).Save(ctx)
	if err != nil {
		if photoKey != nil { // stored for an errand that was not made
			media.Release(ctx, s.client, s.images, s.log, *photoKey)
		}
		return nil, err
	}
	return s.view(e)
}

// Open lists the errands waiting for a runner, in an area or all, oldest
// first: the list shows only what choosing needs (see the ErrandOffer type).
func (s *Service) Open(ctx context.Context, area *string, limit int) ([]*ent.Errand, error) {
	q := s.client.Errand.Query().Where(errand.StatusEQ(errand.StatusOPEN))
	if area != nil {
		q = q.Where(errand.Area(*area))
	}
	return q.Order(ent.Asc(errand.FieldCreatedAt), ent.Asc(errand.FieldID)).Limit(paging.Clamp(limit)).All(ctx)
}

// Take gives an open errand to the viewer (a runner): of racing runners
// exactly one wins. The runner now sees what delivery needs: recorded in
// the requester's sharing ledger.
func (s *Service) Take(ctx context.Context, v *auth.Viewer, id int) (*View, error) {
	runner, err := s.client.User.Get(ctx, v.UserID)
	if err != nil {
		return nil, err
	}
	// Taking hands the delivery details over: it needs the requester's
	// courier consent now, not only when they posted.
	requester, err := s.client.Errand.Query().Where(errand.ID(id)).Select(errand.FieldRequesterID).Int(ctx)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("errand")
	}
	if err != nil {
		return nil, err
	}
	if ok, err := s.priv.Allowed(ctx, requester, pii.ShareCourier); err != nil {
		return nil, err
	} else if !ok {
		return nil, apperr.New(apperr.CodeConflict, "this errand is no longer open")
	}
	now := s.now()
	var e *ent.Errand
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		n, err := tx.Errand.Update().
			Where(errand.ID(id), errand.StatusEQ(errand.StatusOPEN), errand.RunnerIDIsNil(), errand.RequesterIDNEQ(v.UserID)).
			SetStatus(errand.StatusTAKEN).SetRunnerID(v.UserID).SetUpdatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return apperr.New(apperr.CodeConflict, "this errand is no longer open")
		}
		if e, err = tx.Errand.Get(ctx, id); err != nil {
			return err
		}
		return privacy.RecordSharing(ctx, tx, privacy.Sharing{
			UserID: e.RequesterID, Recipient: "跑腿员 " + runner.Nickname, RecipientContact: "via the platform's in-app messages",
			Purpose: pii.ShareCourier, Method: "runner view of the platform",
			Categories: "取件地点、取件凭证、收件人（脱敏）、收件电话（脱敏）、收件地址、快递信息", Reference: "errand " + strconv.Itoa(e.ID),
		}, now)
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, e)
	return s.view(e)
}

// The moves after taking, and who makes them.
var moves = map[errand.Status]struct {
	from   []errand.Status
	runner bool // false: the requester
}{
	errand.StatusPICKED_UP: {[]errand.Status{errand.StatusTAKEN}, true},
	errand.StatusDELIVERED: {[]errand.Status{errand.StatusPICKED_UP}, true},
	errand.StatusCOMPLETED: {[]errand.Status{errand.StatusDELIVERED}, false},
	errand.StatusCANCELLED: {[]errand.Status{errand.StatusOPEN, errand.StatusTAKEN}, false},
}

// Move changes an errand's status. Picking the parcel up erases the pick-up
// credential, and the errand's end (completed or cancelled) the parcel
// photo: each has then served its purpose.
func (s *Service) Move(ctx context.Context, v *auth.Viewer, id int, to errand.Status) (*View, error) {
	e, err := s.get(ctx, v, id)
	if err != nil {
		return nil, err
	}
	rule, ok := moves[to]
	if !ok {
		return nil, apperr.BadField("status", "not a status to move to")
	}
	isRunner := e.RunnerID != nil && *e.RunnerID == v.UserID
	if (rule.runner && !isRunner) || (!rule.runner && e.RequesterID != v.UserID) {
		return nil, apperr.Forbidden("you cannot move this errand to %s", to)
	}
	upd := s.client.Errand.Update().Where(errand.ID(id), errand.StatusIn(rule.from...)).SetStatus(to).SetUpdatedAt(s.now())
	end := to == errand.StatusCOMPLETED || to == errand.StatusCANCELLED
	if end || to == errand.StatusPICKED_UP {
		upd.ClearCredentialCipher()
	}
	if end {
		upd.ClearPhotoKey()
	}
	n, err := upd.Save(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, apperr.New(apperr.CodeInvalidTransition, "an errand cannot go from %s to %s", e.Status, to)
	}
	if end && e.PhotoKey != nil {
		media.Release(ctx, s.client, s.images, s.log, *e.PhotoKey)
	}
	if e, err = s.client.Errand.Get(ctx, id); err != nil {
		return nil, err
	}
	s.publish(ctx, e)
	return s.view(e)
}

// Get returns an errand to its requester, its runner or staff.
func (s *Service) Get(ctx context.Context, v *auth.Viewer, id int) (*View, error) {
	e, err := s.get(ctx, v, id)
	if err != nil {
		return nil, err
	}
	return s.view(e)
}

func (s *Service) get(ctx context.Context, v *auth.Viewer, id int) (*ent.Errand, error) {
	e, err := s.client.Errand.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("errand")
	}
	if err != nil {
		return nil, err
	}
	if e.RequesterID != v.UserID && (e.RunnerID == nil || *e.RunnerID != v.UserID) && v.Role != user.RoleSTAFF {
		return nil, apperr.NotFound("errand")
	}
	return e, nil
}

// Mine lists the viewer's errands: requested, or run by them.
func (s *Service) Mine(ctx context.Context, v *auth.Viewer, asRunner bool, limit int) ([]*View, error) {
	q := s.client.Errand.Query()
	if asRunner {
		q = q.Where(errand.RunnerID(v.UserID))
	} else {
		q = q.Where(errand.RequesterID(v.UserID))
	}
	es, err := q.Order(ent.Desc(errand.FieldCreatedAt), ent.Desc(errand.FieldID)).Limit(paging.Clamp(limit)).All(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*View, len(es))
	for i, e := range es {
		if out[i], err = s.view(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Update is a status change as the streams of the requester and the runner
// carry it.
type Update struct {
	ErrandID int       `json:"errand"`
	Status   string    `json:"status"`
	At       time.Time `json:"at"`
	seq      int
}

// topic carries the updates of the errands a user posted or runs.
func topic(userID int) string { return "errands:" + strconv.Itoa(userID) }

// publish tells the requester and the runner (a cancellation too).
func (s *Service) publish(ctx context.Context, e *ent.Errand) {
	b, err := json.Marshal(Update{ErrandID: e.ID, Status: string(e.Status), At: e.UpdatedAt})
	if err != nil {
		s.log.WarnContext(ctx, "publish errand update", "err", err)
		return
	}
	parties := []int{e.RequesterID}
	if e.RunnerID != nil {
		parties = append(parties, *e.RunnerID)
	}
	for _, id := range parties {
		if err := s.bus.Publish(context.WithoutCancel(ctx), topic(id), b); err != nil {
			s.log.WarnContext(ctx, "publish errand update", "err", err)
		}
	}
}

// Updates streams status changes of the errands the viewer posted or runs,
// live.
func (s *Service) Updates(ctx context.Context, v *auth.Viewer) <-chan *Update {
	var n int
	return live.Stream(ctx, live.Source[*Update]{
		Bus: s.bus, Topic: topic(v.UserID), Log: s.log,
		// Errand updates are not stored as events: the errand itself is the
		// state; a client that reconnects reads myErrands.
		Replay: func(context.Context, live.Window, int) ([]*Update, error) { return nil, nil },
		Newest: func(context.Context) (int, time.Time, error) { return 0, time.Time{}, nil },
		Decode: func(b []byte) (*Update, error) {
			var u Update
			n++
			u.seq = n
			return &u, json.Unmarshal(b, &u)
		},
		ID: func(u *Update) int { return u.seq },
		At: func(u *Update) time.Time { return u.At },
	}, 0)
}
