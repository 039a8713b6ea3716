package privacy

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/policyacceptance"
	"github.com/tongxue/tongxue/ent/policyversion"
	"github.com/tongxue/tongxue/ent/user"
	"github.com/tongxue/tongxue/internal/domain/auth"
	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/chinatime"
	"github.com/tongxue/tongxue/internal/infra/store"
)

// The first version of the privacy policy (row P1 of docs/requirements.md),
// published 2024-02-22, in force from 2024-02-29.
var initialPolicy = ent.PolicyVersion{
	Seq:         1,
	Version:     "2024-02-22",
	EffectiveAt: time.Date(2024, 2, 29, 0, 0, 0, 0, chinatime.Zone),
	Summary:     "《个人信息保护政策》首次发布。",
	Major:       true,
}

// Bootstrap makes sure a policy version exists (the first start of a new
// database). Racing instances are fine: seq is unique.
func (s *Service) Bootstrap(ctx context.Context) error {
	n, err := s.client.PolicyVersion.Query().Count(ctx)
	if err != nil || n > 0 {
		return err
	}
	err = s.client.PolicyVersion.Create().
		SetSeq(initialPolicy.Seq).SetVersion(initialPolicy.Version).
		SetEffectiveAt(initialPolicy.EffectiveAt).SetSummary(initialPolicy.Summary).
		SetMajor(initialPolicy.Major).Exec(ctx)
	if ent.IsConstraintError(err) {
		return nil
	}
	return err
}

// Current returns the version in force: the newest already effective.
func (s *Service) Current(ctx context.Context) (*ent.PolicyVersion, error) {
	return s.client.PolicyVersion.Query().
		Where(policyversion.EffectiveAtLTE(s.now())).
		Order(ent.Desc(policyversion.FieldSeq)).First(ctx)
}

// requiredCache keeps the newest major version in force for a few seconds:
// every signed-in request needs it, and it changes a few times a year.
type requiredCache struct {
	seq     int
	version string
	until   time.Time
}

const requiredTTL = 5 * time.Second

// required returns the newest major version in force (seq 0 if none).
func (s *Service) required(ctx context.Context) (int, string, error) {
	now := s.now()
	s.mu.Lock()
	c := s.req
	s.mu.Unlock()
	if now.Before(c.until) {
		return c.seq, c.version, nil
	}
	pv, err := s.client.PolicyVersion.Query().
		Where(policyversion.Major(true), policyversion.EffectiveAtLTE(now)).
		Order(ent.Desc(policyversion.FieldSeq)).First(ctx)
	switch {
	case ent.IsNotFound(err):
		c = requiredCache{}
	case err != nil:
		return 0, "", err
	default:
		c = requiredCache{seq: pv.Seq, version: pv.Version}
	}
	// A version published with a future date must take effect on time.
	next, err := s.client.PolicyVersion.Query().
		Where(policyversion.Major(true), policyversion.EffectiveAtGT(now)).
		Order(ent.Asc(policyversion.FieldEffectiveAt)).First(ctx)
	c.until = now.Add(requiredTTL)
	if err == nil && next.EffectiveAt.Before(c.until) {
		c.until = next.EffectiveAt
	} else if err != nil && !ent.IsNotFound(err) {
		return 0, "", err
	}
	s.mu.Lock()
	s.req = c
	s.mu.Unlock()
	return c.seq, c.version, nil
}

func (s *Service) forgetRequired() {
	s.mu.Lock()
	s.req = requiredCache{}
	s.mu.Unlock()
}

// UpdateRequired returns POLICY_UPDATE_REQUIRED when a major version is in
// force that the viewer has not accepted.
func (s *Service) UpdateRequired(ctx context.Context, v *auth.Viewer) error {
	seq, version, err := s.required(ctx)
	if err != nil {
		return err
	}
	if v.AcceptedPolicySeq < seq {
		return updateRequired(version)
	}
	return nil
}

func updateRequired(version string) error {
	return apperr.New(apperr.CodePolicyUpdateRequired,
		"the privacy policy has changed: read and accept it to continue").With("policyVersion", version)
}

// Accept records that the viewer accepted the version in force.
func (s *Service) Accept(ctx context.Context, v *auth.Viewer, version string, channel policyacceptance.Channel) (*ent.PolicyVersion, error) {
	if channel == policyacceptance.ChannelREGISTRATION {
		return nil, errRegistrationChannel() // only registration itself records that
	}
	cur, err := s.Current(ctx)
	if err != nil {
		return nil, err
	}
	if version != cur.Version {
		return nil, apperr.BadField("version", "only the version in force can be accepted").With("policyVersion", cur.Version)
	}
	now := s.now()
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if err := tx.User.Update().
			Where(user.ID(v.UserID), user.AcceptedPolicySeqLT(cur.Seq)).
			SetAcceptedPolicySeq(cur.Seq).Exec(ctx); err != nil {
			return err
		}
		return tx.PolicyAcceptance.Create().SetUserID(v.UserID).SetPolicySeq(cur.Seq).
			SetVersion(cur.Version).SetChannel(channel).SetCreatedAt(now).Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	v.AcceptedPolicySeq = max(v.AcceptedPolicySeq, cur.Seq) // the rest of this request may go on
	return cur, nil
}

// PublishInput is a new version.
type PublishInput struct {
	Version     string
	EffectiveAt time.Time
	Summary     string
	Major       bool
	URL         *string
}

// Publish adds a version (staff).
func (s *Service) Publish(ctx context.Context, staff *auth.Viewer, in PublishInput) (*ent.PolicyVersion, error) {
	in.Version = strings.TrimSpace(in.Version)
	if in.Version == "" || utf8.RuneCountInString(in.Version) > 32 {
		return nil, apperr.BadField("version", "a version has 1 to 32 characters")
	}
	if strings.TrimSpace(in.Summary) == "" {
		return nil, apperr.BadField("summary", "say what changed")
	}
	if in.EffectiveAt.Before(s.now().Add(-time.Minute)) {
		return nil, apperr.BadField("effectiveAt", "a new version cannot take effect in the past")
	}
	var pv *ent.PolicyVersion
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if exists, err := tx.PolicyVersion.Query().Where(policyversion.Version(in.Version)).Exist(ctx); err != nil {
			return err
		} else if exists {
			return apperr.BadField("version", "this version already exists")
		}
		last, err := tx.PolicyVersion.Query().Order(ent.Desc(policyversion.FieldSeq)).First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return err
		}
		seq := 1
		if last != nil {
			seq = last.Seq + 1
		}
		pv, err = tx.PolicyVersion.Create().SetSeq(seq).SetVersion(in.Version).
			SetEffectiveAt(in.EffectiveAt).SetSummary(strings.TrimSpace(in.Summary)).
			SetMajor(in.Major).SetNillableURL(in.URL).SetPublishedBy(staff.UserID).Save(ctx)
		return err
	})
	if ent.IsConstraintError(err) {
		return nil, apperr.New(apperr.CodeConflict, "another version was published at the same time; try again")
	}
	if err != nil {
		return nil, err
	}
	s.forgetRequired()
	s.log.InfoContext(ctx, "privacy policy published", "version", pv.Version, "major", pv.Major, "staff_id", staff.UserID)
	return pv, nil
}
