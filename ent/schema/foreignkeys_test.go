package schema_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/tongxue/tongxue/internal/infra/store"
	"github.com/tongxue/tongxue/internal/infra/testdb"
)

// The ownership columns of orders, order items, cart items, errands and bank
// accounts are foreign keys in the database, each with the deletion rule
// its retention needs: records kept after an account (orders, errands)
// refuse their owner's deletion, a courier or runner leaving keeps the
// record without them, a cart and a bank account go with their user and an
// order's items with the order.
var wantForeignKeys = []string{
	"bank_accounts.user_id -> users.id ON DELETE CASCADE",
	"cart_items.product_id -> products.id ON DELETE CASCADE",
	"cart_items.user_id -> users.id ON DELETE CASCADE",
	"errands.requester_id -> users.id ON DELETE NO ACTION",
	"errands.runner_id -> users.id ON DELETE SET NULL",
	"order_items.order_id -> orders.id ON DELETE CASCADE",
	"order_items.product_id -> products.id ON DELETE NO ACTION",
	"orders.courier_id -> users.id ON DELETE SET NULL",
	"orders.merchant_id -> merchants.id ON DELETE NO ACTION",
	"orders.user_id -> users.id ON DELETE NO ACTION",
}

var fkTables = []string{"bank_accounts", "cart_items", "errands", "order_items", "orders"}

func TestForeignKeys(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		got := foreignKeys(t, db)
		if !slices.Equal(got, wantForeignKeys) {
			t.Fatalf("foreign keys of %v:\n got  %q\n want %q", fkTables, got, wantForeignKeys)
		}
	})
}

// A row pointing at no user is refused by the database itself, whatever
// code writes it; the same row for a user who exists is stored.
func TestForeignKeysEnforced(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		account := func(userID int) error {
			now := time.Now()
			return db.Client.BankAccount.Create().SetUserID(userID).SetApplicationID(fmt.Sprint("app-", userID)).
				SetNameCipher([]byte("x")).SetBoundCardCipher([]byte("x")).SetBank("sandbox").
				SetStatus("PENDING").SetCreatedAt(now).SetUpdatedAt(now).Exec(ctx)
		}
		err := account(424242)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "foreign key") {
			t.Fatalf("a bank account of a user who does not exist: %v, want a foreign key violation", err)
		}
		u := db.Client.User.Create().SetPhoneHash([]byte("h")).SetPhoneCipher([]byte("c")).
			SetNickname("n").SetBirthDate(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).SaveX(ctx)
		if err := account(u.ID); err != nil {
			t.Fatalf("a bank account of an existing user: %v", err)
		}
	})
}

func foreignKeys(t *testing.T, db *store.DB) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	switch db.Dialect {
	case dialect.Postgres:
		rows, err := db.SQL.QueryContext(ctx, `
SELECT kcu.table_name, kcu.column_name, ccu.table_name, ccu.column_name, rc.delete_rule
FROM information_schema.table_constraints tc
JOIN information_schema.key_column_usage kcu
  ON kcu.constraint_schema = tc.constraint_schema AND kcu.constraint_name = tc.constraint_name
JOIN information_schema.referential_constraints rc
  ON rc.constraint_schema = tc.constraint_schema AND rc.constraint_name = tc.constraint_name
JOIN information_schema.constraint_column_usage ccu
  ON ccu.constraint_schema = tc.constraint_schema AND ccu.constraint_name = tc.constraint_name
WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()
  AND tc.table_name IN ('bank_accounts', 'cart_items', 'errands', 'order_items', 'orders')`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var table, column, refTable, refColumn, rule string
			if err := rows.Scan(&table, &column, &refTable, &refColumn, &rule); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s.%s -> %s.%s ON DELETE %s", table, column, refTable, refColumn, rule))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	case dialect.SQLite:
		for _, table := range fkTables {
			rows, err := db.SQL.QueryContext(ctx, `SELECT "table", "from", "to", on_delete FROM pragma_foreign_key_list(?)`, table)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var refTable, column, refColumn, rule string
				if err := rows.Scan(&refTable, &column, &refColumn, &rule); err != nil {
					t.Fatal(err)
				}
				out = append(out, fmt.Sprintf("%s.%s -> %s.%s ON DELETE %s", table, column, refTable, refColumn, rule))
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
		}
	}
	slices.Sort(out)
	return out
}
