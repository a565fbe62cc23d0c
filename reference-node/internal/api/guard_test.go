package api

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
)

// TestPostAndDeleteTakeOnlyJSON walks every POST and DELETE route of the
// router: any other Content-Type, or none, gets 415 with the JSON error,
// even with an empty body, and changes nothing; application/json (with or
// without a charset) gets past the check.
func TestPostAndDeleteTakeOnlyJSON(t *testing.T) {
	n := startNode(t, nodeSpec{id: "ct"})
	n.seedModel("phi", 10)
	var routes []route
	for _, rt := range n.srv.router.routes {
		if rt.method == "POST" || rt.method == "DELETE" {
			routes = append(routes, rt)
		}
	}
	if len(routes) < 10 {
		t.Fatalf("only %d POST/DELETE routes found", len(routes))
	}
	// Bodies that would change state if they got through.
	bodies := map[string]string{
		"/api/delete": `{"name": "phi"}`, "/api/pull": `{"name": "phi", "stream": false}`,
		"/api/generate": `{"model": "phi", "stream": false}`, "/api/chat": `{"model": "phi", "stream": false}`,
		"/api/v1/auth/token": `{"api_key": "x"}`,
	}
	for _, rt := range routes {
		path := strings.Replace(rt.pattern, "{id}", "ct", 1)
		body := bodies[rt.pattern]
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "", "application/jsonx", "json"} {
			for _, b := range []string{body, ""} {
				r := call(t, rt.method, n.url(path), b, "Content-Type", ct)
				if r.code != 415 {
					t.Errorf("%s %s with Content-Type %q and body %q: want 415, got %d %s", rt.method, path, ct, b, r.code, r.body)
					continue
				}
				assertJSONError(t, r, 415)
			}
		}
		for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"} {
			if r := call(t, rt.method, n.url(path), body, "Content-Type", ct); r.code == 415 {
				t.Errorf("%s %s with Content-Type %q: 415", rt.method, path, ct)
			}
		}
		if rt.pattern == "/api/delete" { // gone now; put it back for the next routes
			n.seedModel("phi", 10)
		}
	}
	// The refused requests changed nothing: the node is not draining and the
	// model that the refused delete named is still there.
	if st := n.get("/api/v1/nodes/ct")["status"]; st != "online" {
		t.Errorf("node status %v", st)
	}
}

// TestFailedAuthLogged: a missing or bad token on an auth route, a bad
// api_key on /api/v1/auth/token, a bad token on the status page and a
// rejected p2p secret are each logged at warn with the client address and
// the route, never with what was presented.
func TestFailedAuthLogged(t *testing.T) {
	var log lockedBuffer
	n := securedNode(t, "logged", testClusterSecret, nil, &log)
	const (
		badToken  = "bad-token-0123456789abcdef0123456789"
		badKey    = "bad-api-key-0123456789abcdef012345"
		badSecret = "bad-cluster-secret-0123456789abcdef"
	)
	call(t, "GET", n.url("/api/tags"), "")
	call(t, "GET", n.url("/api/v1/nodes"), "", "Authorization", "Bearer "+badToken)
	call(t, "POST", n.url("/api/v1/auth/token"), fmt.Sprintf(`{"api_key": %q}`, badKey))
	call(t, "POST", "http://"+n.p2pAddr+cluster.GossipPath, "{}", cluster.SecretHeader, badSecret)
	call(t, "POST", "http://"+n.p2pAddr+cluster.GossipPath, "{}", "Authorization", "Bearer "+testKey)
	w := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+badToken)
	n.srv.WebHandler().ServeHTTP(w, req)
	// Accepted requests are not logged as failures.
	call(t, "GET", n.url("/api/tags"), "", "Authorization", "Bearer "+testKey)

	want := []struct{ port, route string }{
		{"api", "/api/tags"}, {"api", "/api/v1/nodes"}, {"api", "/api/v1/auth/token"},
		{"p2p", cluster.GossipPath}, {"p2p", cluster.GossipPath}, {"web", "/"},
	}
	var got []map[string]interface{}
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		var rec map[string]interface{}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == "authentication failed" {
			got = append(got, rec)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("want %d failed authentications logged, got %d:\n%s", len(want), len(got), log.String())
	}
	for i, w := range want {
		rec := got[i]
		remote, _ := rec["remote"].(string)
		if rec["level"] != "warn" || rec["port"] != w.port || rec["route"] != w.route || remote == "" || rec["reason"] == "" {
			t.Errorf("entry %d: want warn, port %s, route %s, a remote address and a reason; got %v", i, w.port, w.route, rec)
		}
		if w.port != "web" && !strings.HasPrefix(remote, "127.0.0.1:") {
			t.Errorf("entry %d: remote %q is not the client's address", i, remote)
		}
	}
	for _, secret := range []string{badToken, badKey, badSecret, testKey, testSecret, testClusterSecret} {
		if strings.Contains(log.String(), secret) {
			t.Errorf("the log shows a presented or configured secret %q:\n%s", secret, log.String())
		}
	}
}
