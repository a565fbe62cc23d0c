package api

import (
	"errors"
	"mime"
	"net/http"
	"strings"
)

// checkToken accepts "Authorization: Bearer <token>" with one of
// security.api_keys or a valid JWT. Its errors never quote the token.
func (s *Server) checkToken(r *http.Request) error {
	h := r.Header.Get("Authorization")
	if h == "" {
		return errors.New("missing bearer token")
	}
	const p = "bearer "
	if len(h) <= len(p) || !strings.EqualFold(h[:len(p)], p) {
		return errors.New("authorization must be a bearer token")
	}
	if err := s.auth.Check(strings.TrimSpace(h[len(p):])); err != nil {
		return errors.New("invalid token: " + err.Error())
	}
	return nil
}

// authFailed logs a refused credential at warn: the port ("api", "p2p",
// "web"), the client address, the route and why, never what was presented.
func (s *Server) authFailed(r *http.Request, port, reason string) {
	s.log.Warn("authentication failed", "port", port, "remote", r.RemoteAddr,
		"method", r.Method, "route", r.URL.Path, "reason", reason)
}

// isJSONContentType accepts application/json, with parameters such as
// "; charset=utf-8".
func isJSONContentType(v string) bool {
	mt, _, err := mime.ParseMediaType(v)
	return err == nil && mt == "application/json"
}
