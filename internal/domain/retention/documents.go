package retention

import (
	"context"
	"time"

	"github.com/tongxue/tongxue/ent"
	"github.com/tongxue/tongxue/ent/bankaccount"
	"github.com/tongxue/tongxue/ent/dataexport"
	"github.com/tongxue/tongxue/ent/predicate"
	"github.com/tongxue/tongxue/internal/infra/pii"
)

// Copies and documents kept only until they have served their purpose.

// expiredExports erases the archives of exports whose link has expired
// (its expires_at, or the declared period after it was ready, whichever
// comes first) and marks them EXPIRED; an archive left on an export that
// was downloaded or failed is erased too.
func expiredExports(now time.Time, keep pii.Keep) rule {
	expired := []predicate.DataExport{dataexport.StatusEQ(dataexport.StatusREADY),
		dataexport.Or(dataexport.ExpiresAtLT(now), dataexport.ReadyAtLT(keep.For.Cutoff(now)))}
	leftOver := []predicate.DataExport{dataexport.ArchiveCipherNotNil(),
		dataexport.StatusIn(dataexport.StatusDOWNLOADED, dataexport.StatusEXPIRED, dataexport.StatusFAILED)}
	due := dataexport.Or(dataexport.And(expired...), dataexport.And(leftOver...))
	return rule{
		name:  "exports",
		shape: []Count{count(dataexport.Table, erased, 0)},
		due: func(ctx context.Context, c *ent.Client, after, limit int) ([]int, error) {
			return c.DataExport.Query().Where(due, dataexport.IDGT(after)).
				Order(ent.Asc(dataexport.FieldID)).Limit(limit).IDs(ctx)
		},
		plan: func(_ context.Context, _ *ent.Client, ids []int) ([]Count, error) {
			return []Count{count(dataexport.Table, erased, len(ids))}, nil
		},
		apply: func(ctx context.Context, tx *ent.Tx, ids []int) ([]Count, func(), error) {
			n, err := tx.DataExport.Update().Where(append(expired, dataexport.IDIn(ids...))...).
				SetStatus(dataexport.StatusEXPIRED).ClearArchiveCipher().ClearTokenHash().Save(ctx)
			if err != nil {
				return nil, nil, err
			}
			m, err := tx.DataExport.Update().Where(append(leftOver, dataexport.IDIn(ids...))...).
				ClearArchiveCipher().Save(ctx)
			return []Count{count(dataexport.Table, erased, n+m)}, nil, err
		},
	}
}

// answeredBankDocuments erases the ID number, ID photos and face data of
// bank applications the bank has answered (refused, opened, frozen or
// closed): they were kept only to resend an application awaiting its
// answer. The bank account service erases them at the answer; this catches
// any left behind (an answer recorded by an older version, a failed write).
func answeredBankDocuments() rule {
	due := []predicate.BankAccount{bankaccount.StatusNEQ(bankaccount.StatusPENDING),
		bankaccount.Or(bankaccount.IDNumberCipherNotNil(), bankaccount.IDPhotoCipherNotNil(),
			bankaccount.IDPhotoBackCipherNotNil(), bankaccount.FaceCipherNotNil())}
	return rule{
		name:  "bank documents",
		shape: []Count{count(bankaccount.Table, erased, 0)},
		due: func(ctx context.Context, c *ent.Client, after, limit int) ([]int, error) {
			return c.BankAccount.Query().Where(append(due, bankaccount.IDGT(after))...).
				Order(ent.Asc(bankaccount.FieldID)).Limit(limit).IDs(ctx)
		},
		plan: func(_ context.Context, _ *ent.Client, ids []int) ([]Count, error) {
			return []Count{count(bankaccount.Table, erased, len(ids))}, nil
		},
		apply: func(ctx context.Context, tx *ent.Tx, ids []int) ([]Count, func(), error) {
			n, err := tx.BankAccount.Update().Where(append(due, bankaccount.IDIn(ids...))...).
				ClearIDNumberCipher().ClearIDPhotoCipher().ClearIDPhotoBackCipher().ClearFaceCipher().Save(ctx)
			return []Count{count(bankaccount.Table, erased, n)}, nil, err
		},
	}
}
