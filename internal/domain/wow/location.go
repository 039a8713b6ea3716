package wow

import (
	"context"
	"database/sql"
	"fmt"

	"entgo.io/ent/dialect"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/post"
	"github.com/tongxue/tongxue/internal/infra/pii"
	"github.com/tongxue/tongxue/internal/infra/store"
)

// A post's place is sealed at rest (whereabouts are sensitive, PIPL art.
// 28), bound to its column. No query filters or sorts posts by place, so
// nothing needs it in the clear in SQL: it is opened only to be shown.
var locationColumn = post.Table + "." + post.FieldLocationCipher

// Location is the place the author attached to p, opened for Post.location
// (which @consent(of: OWNER) guards); nil when there is none.
func (s *Service) Location(p *ent.Post) (*string, error) {
	if p.LocationCipher == nil || len(*p.LocationCipher) == 0 { // NULL scans as a pointer to nil
		return nil, nil
	}
	b, err := s.ring.Open(*p.LocationCipher, locationColumn)
	if err != nil {
		return nil, fmt.Errorf("wow: open location of post %d: %w", p.ID, err)
	}
	loc := string(b)
	return &loc, nil
}

// forgetLocations erases the places of all of userID's posts: a withdrawal
// of LOCATION runs it in its own transaction (privacy.OnWithdraw), so the
// places go with the consent and none is left to show if it is given again.
// The withdrawal's answer says how many posts lost their place.
func forgetLocations(ctx context.Context, tx *ent.Tx, userID int) (string, error) {
	n, err := tx.Post.Update().Where(post.AuthorID(userID), post.LocationCipherNotNil()).
		ClearLocationCipher().Save(ctx)
	switch {
	case err != nil || n == 0:
		return "", err
	case n == 1:
		return "place removed from 1 post", nil
	default:
		return fmt.Sprintf("place removed from %d posts", n), nil
	}
}

// legacyLocation is the plaintext column posts had before places were
// sealed.
const legacyLocation = "location"

// SealLegacyLocations moves the places of posts made before they were
// sealed out of the old plaintext column posts.location: sealed into
// location_cipher when the author still consents to LOCATION, erased
// otherwise (a withdrawal now erases them too); then the column is dropped.
// The server runs it at start-up (internal/app); it is idempotent and
// costs one statement once the column is gone.
func (s *Service) SealLegacyLocations(ctx context.Context) error {
	has, err := s.hasLegacyColumn(ctx)
	if err != nil || !has {
		return err
	}
	const batch = 500
	for {
		n, err := s.sealLegacyBatch(ctx, batch)
		if err != nil {
			return fmt.Errorf("wow: seal legacy locations: %w", err)
		}
		if n < batch {
			break
		}
	}
	drop := "ALTER TABLE posts DROP COLUMN " + legacyLocation
	if s.dialect == dialect.Postgres {
		drop = "ALTER TABLE posts DROP COLUMN IF EXISTS " + legacyLocation
	}
	// The client's driver runs raw SQL only in a transaction.
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		_, err := tx.ExecContext(ctx, drop)
		return err
	})
	if err != nil {
		return fmt.Errorf("wow: drop posts.location: %w", err)
	}
	s.log.InfoContext(ctx, "wow: post locations sealed; plaintext column dropped")
	return nil
}

func (s *Service) hasLegacyColumn(ctx context.Context) (bool, error) {
	q := `SELECT COUNT(*) FROM pragma_table_info('posts') WHERE name = ?`
	if s.dialect == dialect.Postgres {
		q = `SELECT COUNT(*) FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = 'posts' AND column_name = $1`
	}
	n := 0
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		rows, err := tx.QueryContext(ctx, q, legacyLocation)
		if err != nil {
			return err
		}
		defer rows.Close()
		if rows.Next() {
			if err := rows.Scan(&n); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return n > 0, err
}

// sealLegacyBatch seals or erases up to limit plaintext places in one
// transaction and returns how many it read.
func (s *Service) sealLegacyBatch(ctx context.Context, limit int) (int, error) {
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	ph := func(i int) string {
		if s.dialect == dialect.Postgres {
			return fmt.Sprintf("$%d", i)
		}
		return "?"
	}
	rows, err := tx.QueryContext(ctx, `SELECT p.id, p.location, EXISTS (SELECT 1 FROM consents c
		WHERE c.user_id = p.author_id AND c.purpose = `+ph(1)+` AND c.granted = `+ph(2)+`)
		FROM posts p WHERE p.location IS NOT NULL ORDER BY p.id LIMIT `+ph(3), string(pii.Location), true, limit)
	if err != nil {
		return 0, err
	}
	type row struct {
		id        int
		place     string
		consented bool
	}
	var page []row
	for rows.Next() {
		var r row
		var place sql.NullString
		if err := rows.Scan(&r.id, &place, &r.consented); err != nil {
			rows.Close()
			return 0, err
		}
		r.place = place.String
		page = append(page, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	for _, r := range page {
		var sealed any // NULL: the author no longer consents
		if r.consented && r.place != "" {
			sealed = s.ring.Seal([]byte(r.place), locationColumn)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE posts SET location_cipher = `+ph(1)+`, location = NULL WHERE id = `+ph(2)+` AND location IS NOT NULL`,
			sealed, r.id); err != nil {
			return 0, err
		}
	}
	return len(page), tx.Commit()
}
