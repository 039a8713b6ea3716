package bank_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/partners/bank"
	"github.com/tongxue/tongxue/internal/partners/partner"
)

// closing makes the fake bank close accounts on DELETE, as the protocol in
// close.go says: the account as it now is, CLOSED; an unknown ref 404.
// Other requests take the fake's normal routes. The fake checks every
// request's signature (over an empty body here) before this runs.
func closing(first func(f *fakeBank, n int, w http.ResponseWriter) bool) hook {
	return func(f *fakeBank, n int, w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if r.Method != http.MethodDelete {
			return false
		}
		if first != nil && first(f, n, w) {
			return true
		}
		ref, ok := strings.CutPrefix(r.URL.Path, bank.PathAccounts+"/")
		if !ok || !strings.HasPrefix(ref, "BR") {
			f.reply(w, 404, `{"error":{"code":"ACCOUNT_NOT_FOUND","message":"no such account"}}`)
			return true
		}
		f.replyJSON(w, 200, map[string]any{"bank_ref": ref, "account_number": fakeAccountNumber, "status": "CLOSED", "reason": ""})
		return true
	}
}

func TestHTTPClose(t *testing.T) {
	f := newFakeBank(t, closing(nil))
	acct, err := f.client(t, nil).Close(context.Background(), "BR0001")
	if err != nil {
		t.Fatal(err)
	}
	want := bank.Account{BankRef: "BR0001", AccountNumber: fakeAccountNumber, Status: bank.StatusClosed}
	if *acct != want {
		t.Fatalf("Close = %#v; want %#v", *acct, want)
	}
	calls := f.Calls()
	if len(calls) != 1 || calls[0].method != http.MethodDelete || calls[0].target != "/v2/class2-accounts/BR0001" || calls[0].idemKey != "" {
		t.Fatalf("calls %+v; want one signed DELETE of the account", calls)
	}
}

func TestHTTPCloseUnknownAccountIsNotRetried(t *testing.T) {
	f := newFakeBank(t, closing(nil))
	_, err := f.client(t, nil).Close(context.Background(), "XX99")
	var be *partner.Error
	if !errors.As(err, &be) || be.Status != 404 || be.Code != bank.CodeAccountNotFound || be.Retryable {
		t.Fatalf("Close = %v; want a 404 ACCOUNT_NOT_FOUND", err)
	}
	if n := len(f.Calls()); n != 1 {
		t.Fatalf("%d attempts; a 404 is not retried", n)
	}
	assertErrNoPersonalData(t, err)
}

func TestHTTPCloseRetriesAfterA5xx(t *testing.T) {
	f := newFakeBank(t, closing(func(f *fakeBank, n int, w http.ResponseWriter) bool {
		if n == 0 {
			f.reply(w, 503, `{"error":{"code":"SYSTEM_ERROR","message":"try again"}}`)
			return true
		}
		return false
	}))
	acct, err := f.client(t, nil).Close(context.Background(), "BR0001")
	if err != nil || acct.Status != bank.StatusClosed {
		t.Fatalf("Close = %+v, %v", acct, err)
	}
	calls := f.Calls()
	if len(calls) != 2 || calls[0].nonce == calls[1].nonce {
		t.Fatalf("calls %+v; want two attempts with fresh nonces", calls)
	}
}

func TestHTTPCloseAnswerAboutAnotherAccountIsBad(t *testing.T) {
	f := newFakeBank(t, func(f *fakeBank, _ int, w http.ResponseWriter, r *http.Request, _ []byte) bool {
		f.replyJSON(w, 200, map[string]any{"bank_ref": "BR0002", "account_number": fakeAccountNumber, "status": "CLOSED"})
		return true
	})
	if _, err := f.client(t, nil).Close(context.Background(), "BR0001"); !errors.Is(err, bank.ErrBadResponse) {
		t.Fatalf("Close = %v; want ErrBadResponse", err)
	}
}

func TestHTTPCloseMalformedRefIsNotSent(t *testing.T) {
	f := newFakeBank(t, closing(nil))
	for _, ref := range []string{"", "..", "a/b", "a b"} {
		if _, err := f.client(t, nil).Close(context.Background(), ref); !errors.Is(err, bank.ErrInvalidArgument) {
			t.Errorf("Close(%q) = %v; want ErrInvalidArgument", ref, err)
		}
	}
	if n := len(f.Calls()); n != 0 {
		t.Fatalf("%d calls for malformed refs", n)
	}
}

func TestSandboxCloses(t *testing.T) {
	s := newSandbox()
	ctx := context.Background()
	acct, err := s.Open(ctx, validApplication())
	if err != nil {
		t.Fatal(err)
	}
	closed, err := s.Close(ctx, acct.BankRef)
	if err != nil || closed.Status != bank.StatusClosed || closed.BankRef != acct.BankRef {
		t.Fatalf("Close = %+v, %v", closed, err)
	}
	var be *partner.Error
	if _, err := s.Balance(ctx, acct.BankRef); !errors.As(err, &be) || be.Code != bank.CodeAccountNotOpen {
		t.Fatalf("Balance of a closed account = %v; want ACCOUNT_NOT_OPEN", err)
	}
	if again, err := s.Close(ctx, acct.BankRef); err != nil || *again != *closed {
		t.Fatalf("Close again = %+v, %v; want %+v", again, err, closed)
	}
	if _, err := s.Close(ctx, "sbx-unknown"); !errors.As(err, &be) || be.Status != 404 || be.Code != bank.CodeAccountNotFound {
		t.Fatalf("Close of an unknown account = %v; want 404 ACCOUNT_NOT_FOUND", err)
	}
	a := application("APP-2026-000009")
	a.Name = bank.SandboxRejectName
	rejected, err := s.Open(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Close(ctx, rejected.BankRef); err != nil || got.Status != bank.StatusRejected {
		t.Fatalf("Close of a rejected application = %+v, %v; want it left REJECTED", got, err)
	}
}
