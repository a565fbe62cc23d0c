// Package auth checks bearer tokens: static API keys and HS256 JWTs.
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Errors returned by Verify and Issue.
var (
	ErrNoSecret     = errors.New("no JWT secret configured")
	ErrMalformed    = errors.New("malformed token")
	ErrBadSignature = errors.New("bad token signature")
	ErrExpired      = errors.New("token expired")
	ErrUnknownKey   = errors.New("unknown API key")
)

// Authenticator holds the static keys and the JWT secret.
type Authenticator struct {
	keys   []string
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// New returns an Authenticator; ttl is the lifetime of issued tokens.
func New(apiKeys []string, secret string, ttl time.Duration) *Authenticator {
	return &Authenticator{keys: apiKeys, secret: []byte(secret), ttl: ttl, now: time.Now}
}

// Claims is the JWT payload the node issues and accepts.
type Claims struct {
	Subject  string `json:"sub,omitempty"`
	Issuer   string `json:"iss,omitempty"`
	IssuedAt int64  `json:"iat,omitempty"`
	Expires  int64  `json:"exp"`
}

// IsAPIKey reports whether k is one of the static keys (constant time).
func (a *Authenticator) IsAPIKey(k string) bool {
	ok := false
	for _, key := range a.keys {
		if subtle.ConstantTimeCompare([]byte(k), []byte(key)) == 1 {
			ok = true
		}
	}
	return ok && k != ""
}

// Check accepts a bearer token that is an API key or a valid JWT.
func (a *Authenticator) Check(token string) error {
	if a.IsAPIKey(token) {
		return nil
	}
	if strings.Count(token, ".") != 2 {
		return ErrUnknownKey
	}
	_, err := a.Verify(token)
	return err
}

// Exchange turns an API key into a JWT (POST /api/v1/auth/token).
func (a *Authenticator) Exchange(apiKey string) (string, time.Time, error) {
	if !a.IsAPIKey(apiKey) {
		return "", time.Time{}, ErrUnknownKey
	}
	return a.Issue("api-key")
}

// Issue signs a token for subject that expires after the configured ttl.
func (a *Authenticator) Issue(subject string) (string, time.Time, error) {
	if len(a.secret) == 0 {
		return "", time.Time{}, ErrNoSecret
	}
	now := a.now()
	exp := now.Add(a.ttl).Truncate(time.Second)
	c := Claims{Subject: subject, Issuer: "ollama-distributed", IssuedAt: now.Unix(), Expires: exp.Unix()}
	return a.Sign(c), exp, nil
}

var b64 = base64.RawURLEncoding

// jwtHeader is the fixed, pre-encoded HS256 header.
var jwtHeader = b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// Sign encodes and signs claims as a compact JWT.
func (a *Authenticator) Sign(c Claims) string {
	payload, _ := json.Marshal(c)
	unsigned := jwtHeader + "." + b64.EncodeToString(payload)
	return unsigned + "." + b64.EncodeToString(a.mac(unsigned))
}

func (a *Authenticator) mac(s string) []byte {
	m := hmac.New(sha256.New, a.secret)
	m.Write([]byte(s))
	return m.Sum(nil)
}

// Verify checks signature, algorithm and expiry and returns the claims.
func (a *Authenticator) Verify(token string) (*Claims, error) {
	if len(a.secret) == 0 {
		return nil, ErrNoSecret
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, ErrMalformed
	}
	hdrJSON, err := b64.DecodeString(parts[0])
	if err != nil {
		return nil, ErrMalformed
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hdrJSON, &hdr) != nil {
		return nil, ErrMalformed
	}
	// Only HS256 is accepted; in particular "none" never is.
	if hdr.Alg != "HS256" {
		return nil, ErrBadSignature
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return nil, ErrMalformed
	}
	if !hmac.Equal(sig, a.mac(parts[0]+"."+parts[1])) {
		return nil, ErrBadSignature
	}
	payload, err := b64.DecodeString(parts[1])
	if err != nil {
		return nil, ErrMalformed
	}
	var c Claims
	if json.Unmarshal(payload, &c) != nil {
		return nil, ErrMalformed
	}
	if c.Expires == 0 || a.now().Unix() >= c.Expires {
		return nil, ErrExpired
	}
	return &c, nil
}
