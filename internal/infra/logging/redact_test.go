package logging

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/tongxue/tongxue/internal/infra/reqinfo"
)

func TestScrub(t *testing.T) {
	cases := map[string]string{
		"call 13812345678 now":                 "call 138****5678 now",
		"+8613812345678":                       "+86138****5678",
		"id 11010519491231002X ok":             "id 1***************2X ok",
		"card 6222021234567890123":             "card **** **** **** 0123",
		"mail alice.w@example.com":             "mail a***@example.com",
		"Bearer txs_AbC-123_x":                 "Bearer txs_[redacted]",
		"GET /exports/txe_Zz9-Q_1 200":         "GET /exports/txe_[redacted] 200",
		"order 20261129 costs 1500 fen":        "order 20261129 costs 1500 fen",
		"pq: duplicate key value (1381234567)": "pq: duplicate key value (1381234567)",
	}
	for in, want := range cases {
		if got := Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Wrap(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	log = log.With("phone", "13812345678")
	log.ErrorContext(context.Background(), "user 13900001111 failed",
		"email", "a@b.cn", "err", errors.New("lookup 13700002222: not found"),
		slog.Group("req", "note", "x 18600003333", "code", "123456"), "count", 3)
	out := buf.String()
	for _, secret := range []string{"13812345678", "13900001111", "13700002222", "18600003333", "a@b.cn", "123456"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q: %s", secret, out)
		}
	}
	for _, kept := range []string{`"count":3`, "139****1111", "not found", `"phone":"[redacted]"`} {
		if !strings.Contains(out, kept) {
			t.Errorf("log lost %q: %s", kept, out)
		}
	}
}

func TestRequestIDIsNotRedacted(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(Wrap(slog.NewJSONHandler(&buf, nil)))
	ctx := reqinfo.NewContext(context.Background(), reqinfo.Info{RequestID: "0869922261557981"})
	log.InfoContext(ctx, "x")
	if !strings.Contains(buf.String(), `"request_id":"0869922261557981"`) {
		t.Fatalf("request id altered: %s", buf.String())
	}
}

func TestRedactedKeys(t *testing.T) {
	for key, want := range map[string]bool{
		"phone": true, "buyer_phone": true, "recipientName": true, "contact-email": true, "bankCard": true,
		"holder_name": true, "id_number": true, "idNumber": true, "IDNumber": true, "client_ip": true, "code": true,
		"birth_date": true, "Authorization": true, "holderIDNumber": true, "IPAddress": true, "IDCard": true,
		"smsCode": true, "login_code": true,
		"order_id": false, "err": false, "topic": false, "error_codes": false, "zip": false, "user_id": false,
		"addr": false, "operation": false, "staff_id": false,
	} {
		if got := redactedKey(key); got != want {
			t.Errorf("redactedKey(%q) = %v, want %v", key, got, want)
		}
	}
}
