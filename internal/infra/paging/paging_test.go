package paging_test

import (
	"testing"

	"github.com/tongxue/tongxue/internal/infra/apperr"
	"github.com/tongxue/tongxue/internal/infra/paging"
)

func p(n int) *int { return &n }

func TestCheckNeedsFirstOrLast(t *testing.T) {
	err := paging.Check("products", nil, nil)
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.CodeBadUserInput {
		t.Fatalf("Check(nil, nil) = %v, want BAD_USER_INPUT", err)
	}
	if e.Extensions["field"] != "products" {
		t.Fatalf("extensions = %v, want field=products", e.Extensions)
	}
}

func TestCheckBounds(t *testing.T) {
	cases := []struct {
		first, last *int
		ok          bool
	}{
		{p(0), nil, true},
		{p(1), nil, true},
		{p(paging.MaxSize), nil, true},
		{nil, p(0), true},
		{nil, p(50), true},
		{nil, p(100), true},
		{p(10), p(20), true},
		{p(-1), nil, false},
		{p(101), nil, false},
		{nil, p(-1), false},
		{nil, p(101), false},
		{p(10), p(101), false},
		{p(-5), p(10), false},
		{p(1 << 40), nil, false},
		{nil, p(-1 << 40), false},
	}
	show := func(v *int) any {
		if v == nil {
			return nil
		}
		return *v
	}
	for _, c := range cases {
		err := paging.Check("reviews", c.first, c.last)
		if c.ok {
			if err != nil {
				t.Errorf("Check(first=%v, last=%v) = %v, want ok", show(c.first), show(c.last), err)
			}
			continue
		}
		e, ok := apperr.As(err)
		if !ok || e.Code != apperr.CodeBadUserInput || e.Extensions["field"] != "reviews" {
			t.Errorf("Check(first=%v, last=%v) = %v, want BAD_USER_INPUT on field reviews", show(c.first), show(c.last), err)
		}
	}
	if paging.MaxSize != 100 {
		t.Fatalf("MaxSize = %d, want 100 (README)", paging.MaxSize)
	}
}

func TestClamp(t *testing.T) {
	for in, want := range map[int]int{-5: 1, 0: 1, 1: 1, 20: 20, paging.MaxSize: paging.MaxSize, 1000: paging.MaxSize} {
		if got := paging.Clamp(in); got != want {
			t.Errorf("Clamp(%d) = %d, want %d", in, got, want)
		}
	}
}
