package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	key    = "0123456789abcdef0123456789abcdef"
	secret = "a-very-long-secret-for-hs256-signing!"
)

func TestAPIKeys(t *testing.T) {
	a := New([]string{key}, secret, time.Hour)
	if err := a.Check(key); err != nil {
		t.Errorf("valid key rejected: %v", err)
	}
	for _, bad := range []string{"", "nope", key + "x", key[:31]} {
		if a.Check(bad) == nil {
			t.Errorf("bad key %q accepted", bad)
		}
	}
}

func TestJWTRoundTrip(t *testing.T) {
	a := New([]string{key}, secret, time.Hour)
	tok, exp, err := a.Exchange(key)
	if err != nil {
		t.Fatal(err)
	}
	if time.Until(exp) < 59*time.Minute {
		t.Errorf("expiry %v too soon", exp)
	}
	if err := a.Check(tok); err != nil {
		t.Errorf("fresh token rejected: %v", err)
	}
	if _, _, err := a.Exchange("wrong"); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("exchange with wrong key: %v", err)
	}
}

func TestJWTExpired(t *testing.T) {
	a := New(nil, secret, time.Hour)
	tok := a.Sign(Claims{Subject: "x", Expires: time.Now().Add(-time.Second).Unix()})
	if _, err := a.Verify(tok); !errors.Is(err, ErrExpired) {
		t.Errorf("want ErrExpired, got %v", err)
	}
}

func TestJWTBadSignature(t *testing.T) {
	a := New(nil, secret, time.Hour)
	other := New(nil, secret+"-other", time.Hour)
	tok, _, _ := other.Issue("x")
	if _, err := a.Verify(tok); !errors.Is(err, ErrBadSignature) {
		t.Errorf("foreign token: want ErrBadSignature, got %v", err)
	}
	// Tampered payload with the original signature.
	good, _, _ := a.Issue("x")
	parts := strings.Split(good, ".")
	parts[1] = base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","exp":9999999999}`))
	if _, err := a.Verify(strings.Join(parts, ".")); !errors.Is(err, ErrBadSignature) {
		t.Errorf("tampered token: want ErrBadSignature, got %v", err)
	}
	// alg "none" is never accepted.
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + "."
	if _, err := a.Verify(none); err == nil {
		t.Error("alg none accepted")
	}
	for _, junk := range []string{"a.b.c", "...", "x"} {
		if a.Check(junk) == nil {
			t.Errorf("junk %q accepted", junk)
		}
	}
}

func TestNoSecret(t *testing.T) {
	a := New([]string{key}, "", time.Hour)
	if _, _, err := a.Exchange(key); !errors.Is(err, ErrNoSecret) {
		t.Errorf("want ErrNoSecret, got %v", err)
	}
}
