package wow

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/follow"
	"github.com/tongxue/tongxue/ent/post"
	"github.com/tongxue/tongxue/ent/postimage"
	"github.com/tongxue/tongxue/ent/predicate"
	"github.com/tongxue/tongxue/ent/user"
	entwow "github.com/tongxue/tongxue/ent/wow"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/domain/media"
	"github.com/tongxue/tongxue/internal/domain/privacy"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/live"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/pubsub"
	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/vault"
)

// Limits of a post.
const (
	MaxTextRunes = 1000
	MaxImages    = 9
)

// ImageLimits bound each picture.
var ImageLimits = media.Limits{MaxBytes: 5 << 20, MaxPixels: 40_000_000, MaxSide: 12_000}

// Service is the wow domain.
type Service struct {
	client  *ent.Client
	live    *ent.Client // the stream's reads (see store.DB.Live)
	dialect string
	images  media.Store
	bus     pubsub.Bus
	priv    *privacy.Service
	ring    *vault.Keyring // seals posts' locations
	access  *media.Access  // pictures' addresses
	now     func() time.Time
	log     *slog.Logger
}

// Deps are what the service is built from.
type Deps struct {
	DB       *store.DB // requests use DB.Client, the live stream DB.Live
	Media    media.Store
	Bus      pubsub.Bus
	Privacy  *privacy.Service
	Ring     *vault.Keyring // seals posts' locations
	Pictures *media.Access  // pictures' addresses
	Now      func() time.Time
	Log      *slog.Logger
}

// New returns the service, installs the visibility rule on the database's
// clients (the live stream's too) and makes a withdrawal of LOCATION erase
// the author's post locations.
func New(d Deps) *Service {
	Install(d.DB.Client)
	if d.DB.Live != d.DB.Client {
		Install(d.DB.Live)
	}
	d.Privacy.OnWithdraw(pii.Location, forgetLocations)
	return &Service{client: d.DB.Client, live: d.DB.Live, dialect: d.DB.Dialect, images: d.Media, bus: d.Bus,
		priv: d.Privacy, ring: d.Ring, access: d.Pictures, now: d.Now, log: d.Log}
}

func postimageVisible(ctx context.Context) predicate.PostImage {
	return postimage.HasPostWith(Visible(ctx))
}

// Input is a new post.
type Input struct {
	Text       string
	Visibility post.Visibility
	Location   *string  // a place name; needs the LOCATION consent and permission
	Images     [][]byte // cleaned of all metadata before they are stored
}

// Create posts a status.
func (s *Service) Create(ctx context.Context, v *auth.Viewer, in Input) (*ent.Post, error) {
	text := strings.TrimSpace(in.Text)
	if n := utf8.RuneCountInString(text); (n == 0 && len(in.Images) == 0) || n > MaxTextRunes {
		return nil, apperr.BadField("text", "a post has up to %d characters, or pictures", MaxTextRunes)
	}
	if len(in.Images) > MaxImages {
		return nil, apperr.BadField("images", "at most %d pictures", MaxImages)
	}
	if in.Location != nil {
		loc := strings.TrimSpace(*in.Location)
		if n := utf8.RuneCountInString(loc); n == 0 || n > 64 {
			return nil, apperr.BadField("location", "a place name has 1 to 64 characters")
		}
		// W1: a location only with the location consent and permission.
		if err := s.priv.RequireConsent(ctx, v.UserID, pii.Location); err != nil {
			return nil, err
		}
		if err := s.priv.RequirePermission(ctx, v, privacy.PermLocation); err != nil {
			return nil, err
		}
		in.Location = &loc
	}
	cleaned := make([]*media.Image, len(in.Images))
	for i, raw := range in.Images {
		img, err := media.Clean(raw, ImageLimits)
		if err != nil {
			return nil, apperr.BadField("images", "picture %d: %s", i+1, imageProblem(err)).With("index", i)
		}
		cleaned[i] = img
	}
	keys := make([]string, len(cleaned))
	// Pictures stored for a post that was not made are let go again.
	release := func() { media.Release(ctx, s.client, s.images, s.log, keys...) }
	for i, img := range cleaned {
		key, err := s.images.Put(ctx, img)
		if err != nil {
			release()
			return nil, err
		}
		keys[i] = key
	}
	var sealed []byte
	if in.Location != nil {
		sealed = s.ring.Seal([]byte(*in.Location), locationColumn)
	}
	var p *ent.Post
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		c := tx.Post.Create().SetAuthorID(v.UserID).SetText(text).SetVisibility(in.Visibility).SetCreatedAt(s.now())
		if sealed != nil {
			c.SetLocationCipher(sealed)
		}
		p, err = c.Save(ctx)
		if err != nil {
			return err
		}
		for i, img := range cleaned {
			if err := tx.PostImage.Create().SetPostID(p.ID).SetMediaKey(keys[i]).SetPosition(i).
				SetWidth(img.Width).SetHeight(img.Height).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		release()
		return nil, err
	}
	return s.reload(ctx, p.ID) // bound to the client, not the finished transaction
}

func imageProblem(err error) string {
	switch {
	case errors.Is(err, media.ErrTooLarge):
		return "larger than 5 MB"
	case errors.Is(err, media.ErrUnsupportedType):
		return "only JPEG and PNG pictures"
	case errors.Is(err, media.ErrTooManyPixels):
		return "too many pixels"
	default:
		return "not a readable picture"
	}
}

// Delete removes one of the viewer's posts (R2) and its wows and pictures.
func (s *Service) Delete(ctx context.Context, v *auth.Viewer, id int) error {
	keys, err := s.client.PostImage.Query().Where(postimage.PostID(id)).Select(postimage.FieldMediaKey).Strings(ctx)
	if err != nil {
		return err
	}
	// Its wows and picture rows go with it (ON DELETE CASCADE).
	n, err := s.client.Post.Delete().Where(post.ID(id), post.AuthorID(v.UserID)).Exec(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		return apperr.NotFound("post")
	}
	media.Release(ctx, s.client, s.images, s.log, keys...)
	return nil
}

// Event is a wow as the author's stream carries it: ids and a count only.
type Event struct {
	ID       int       `json:"id"`
	PostID   int       `json:"post"`
	SenderID int       `json:"sender"`
	Count    int       `json:"count"`
	At       time.Time `json:"at"`

	// Preloaded by Received for a batch of events at a time.
	sender *ent.User
	post   *ent.Post
}

// SenderOf is the public profile of who sent e.
func (s *Service) SenderOf(ctx context.Context, e *Event) (*ent.User, error) {
	if e.sender != nil {
		return e.sender, nil
	}
	return s.live.User.Get(ctx, e.SenderID)
}

// PostOf is the wowed post, as the subscriber (its author) sees it.
func (s *Service) PostOf(ctx context.Context, e *Event) (*ent.Post, error) {
	if e.post != nil {
		return e.post, nil
	}
	return s.live.Post.Get(ctx, e.PostID)
}

// Topic of the wows an author receives.
func Topic(authorID int) string { return "wows:" + strconv.Itoa(authorID) }

// Send gives the viewer's wow to a post they can see: once per user and
// post (a repeat changes nothing), counted exactly once even in a burst.
func (s *Service) Send(ctx context.Context, v *auth.Viewer, postID int) (*ent.Post, error) {
	p, err := s.client.Post.Query().Where(post.ID(postID)).Only(ctx) // Visible applies
	if ent.IsNotFound(err) {
		return nil, apperr.NotFound("post")
	}
	if err != nil {
		return nil, err
	}
	if done, err := s.client.Wow.Query().Where(entwow.PostID(postID), entwow.UserID(v.UserID)).Exist(ctx); err != nil || done {
		return p, err
	}
	now := s.now()
	var ev *Event
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		// On PostgreSQL a wow commits without waiting for the disk: the post's
		// row is hot in a burst, and a synchronous commit per wow would queue
		// every wow behind one flush. A crash can lose the last fraction of a
		// second of wows, never count one twice.
		if s.dialect == dialect.Postgres {
			if _, err := tx.ExecContext(ctx, "SET LOCAL synchronous_commit TO OFF"); err != nil {
				return err
			}
		}
		// The post row is hot in a burst. Locking it first (one UPDATE)
		// queues the wows of one post one after another: otherwise every
		// concurrent insert's foreign-key check share-locks the row and
		// PostgreSQL spends its time growing multixacts. Ids then also
		// follow commit order.
		count, err := incrementCount(ctx, tx, s.dialect, postID)
		if err != nil {
			return err
		}
		w, err := tx.Wow.Create().SetPostID(postID).SetUserID(v.UserID).SetCreatedAt(now).Save(ctx)
		if err != nil {
			return err
		}
		ev = &Event{ID: w.ID, PostID: postID, SenderID: v.UserID, Count: count, At: now}
		return nil
	})
	if ent.IsConstraintError(err) {
		return s.reload(ctx, postID) // a concurrent repeat of the same wow
	}
	if err != nil {
		return nil, err
	}
	if payload, err := json.Marshal(ev); err == nil {
		if err := s.bus.Publish(context.WithoutCancel(ctx), Topic(p.AuthorID), payload); err != nil {
			s.log.WarnContext(ctx, "publish wow", "err", err) // stored: the stream replays it
		}
	}
	p.WowCount = ev.Count // the count this wow made (UPDATE ... RETURNING)
	return p, nil
}

func (s *Service) reload(ctx context.Context, id int) (*ent.Post, error) {
	return s.client.Post.Get(ctx, id)
}

// Received streams the wows on the viewer's posts: those after `after`
// (after < 0: from now on), then live ones.
func (s *Service) Received(ctx context.Context, v *auth.Viewer, after int) <-chan *Event {
	mine := entwow.HasPostWith(post.AuthorID(v.UserID))
	return s.withRefs(ctx, live.Stream(ctx, live.Source[*Event]{
		Bus: s.bus, Topic: Topic(v.UserID), Log: s.log,
		Replay: func(ctx context.Context, w live.Window, limit int) ([]*Event, error) {
			ws, err := s.live.Wow.Query().Where(mine, inWindow(w)).
				Order(ent.Asc(entwow.FieldID)).Limit(limit).All(ctx)
			out := make([]*Event, len(ws))
			for i, w := range ws { // Count 0: withRefs gives the post's count now
				out[i] = &Event{ID: w.ID, PostID: w.PostID, SenderID: w.UserID, At: w.CreatedAt}
			}
			return out, err
		},
		Newest: func(ctx context.Context) (int, time.Time, error) {
			w, err := s.live.Wow.Query().Where(mine).Order(ent.Desc(entwow.FieldID)).First(ctx)
			if ent.IsNotFound(err) {
				return 0, time.Time{}, nil
			}
			if err != nil {
				return 0, time.Time{}, err
			}
			return w.ID, w.CreatedAt, nil
		},
		Decode: func(b []byte) (*Event, error) {
			var e Event
			return &e, json.Unmarshal(b, &e)
		},
		ID: func(e *Event) int { return e.ID },
		At: func(e *Event) time.Time { return e.At },
	}, after))
}

// refBatch bounds the wows whose senders and posts load together.
const refBatch = 64

// withRefs loads the senders and posts of the wows waiting in `in` in one
// query each, so a burst costs two queries per batch rather than per wow.
func (s *Service) withRefs(ctx context.Context, in <-chan *Event) <-chan *Event {
	out := make(chan *Event, 1)
	go func() {
		defer close(out)
		for e := range in {
			batch := append(make([]*Event, 0, refBatch), e)
			for more := true; more && len(batch) < refBatch; {
				select {
				case e, ok := <-in:
					if more = ok; ok {
						batch = append(batch, e)
					}
				default:
					more = false
				}
			}
			s.loadRefs(ctx, batch)
			for _, e := range batch {
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// loadRefs attaches each event's sender and post (a replayed wow, Count 0,
// reports the post's count now). On an error the resolvers load sender and
// post one by one instead (a replayed wow's count then stays 0).
func (s *Service) loadRefs(ctx context.Context, evs []*Event) {
	users, posts := make([]int, len(evs)), make([]int, len(evs))
	for i, e := range evs {
		users[i], posts[i] = e.SenderID, e.PostID
	}
	us, err := s.live.User.Query().Where(user.IDIn(users...)).All(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "wow stream: load senders", "err", err)
		return
	}
	ps, err := s.live.Post.Query().Where(post.IDIn(posts...)).All(ctx)
	if err != nil {
		s.log.WarnContext(ctx, "wow stream: load posts", "err", err)
		return
	}
	userByID, postByID := make(map[int]*ent.User, len(us)), make(map[int]*ent.Post, len(ps))
	for _, u := range us {
		userByID[u.ID] = u
	}
	for _, p := range ps {
		postByID[p.ID] = p
	}
	for _, e := range evs {
		e.sender, e.post = userByID[e.SenderID], postByID[e.PostID]
		if e.Count == 0 && e.post != nil {
			e.Count = e.post.WowCount
		}
	}
}

// inWindow selects the wows of a replay window (see live.Window).
func inWindow(w live.Window) predicate.Wow {
	p := entwow.IDGT(w.AfterID)
	if !w.Since.IsZero() {
		p = entwow.Or(p, entwow.CreatedAtGTE(w.Since))
	}
	return entwow.And(entwow.IDGT(w.PageAfter), entwow.IDLTE(w.UpTo), p)
}

// Follow starts or stops following a user.
func (s *Service) Follow(ctx context.Context, v *auth.Viewer, userID int, on bool) error {
	if userID == v.UserID {
		return apperr.BadField("userId", "you cannot follow yourself")
	}
	if !on {
		_, err := s.client.Follow.Delete().Where(follow.FollowerID(v.UserID), follow.FolloweeID(userID)).Exec(ctx)
		return err
	}
	if ok, err := s.client.User.Get(ctx, userID); err != nil || ok == nil {
		if ent.IsNotFound(err) {
			return apperr.NotFound("user")
		}
		return err
	}
	return s.client.Follow.Create().SetFollowerID(v.UserID).SetFolloweeID(userID).SetCreatedAt(s.now()).
		OnConflictColumns(follow.FieldFollowerID, follow.FieldFolloweeID).Ignore().Exec(ctx)
}

// incrementCount adds one to a post's wow count and returns the new count.
func incrementCount(ctx context.Context, tx *ent.Tx, dialectName string, postID int) (int, error) {
	q, args := entsql.Dialect(dialectName).Update(post.Table).Add(post.FieldWowCount, 1).
		Where(entsql.EQ(post.FieldID, postID)).Returning(post.FieldWowCount).Query()
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	if !rows.Next() {
		return 0, errors.New("wow: post vanished")
	}
	var n int
	return n, rows.Scan(&n)
}
