package api

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/auth"
)

// TestWebPageWithAuth: with auth on, the status page shows a request
// without a valid token only what the public routes show (health, version,
// cluster size); an API key or a JWT gets the full page.
func TestWebPageWithAuth(t *testing.T) {
	a := securedNode(t, "web-a", testClusterSecret, nil, nil)
	b := securedNode(t, "web-b", testClusterSecret, []string{a.p2pAddr}, nil)
	b.seedModel("secret-model", 10)
	waitCluster(t, []*testNode{a, b}, 2, "healthy")
	eventually(t, "web-a knows web-b's model", func() error {
		if !strings.Contains(string(call(t, "GET", a.url("/api/distributed/models"), "", "Authorization", "Bearer "+testKey).body), "secret-model") {
			return errNotYet
		}
		return nil
	})

	page := func(hdr ...string) string {
		w := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/", nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		a.srv.WebHandler().ServeHTTP(w, req)
		if w.Code != 200 || w.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("status page: %d %v", w.Code, w.Header())
		}
		return w.Body.String()
	}
	protected := []string{"web-b", b.p2pAddr, b.apiAddr, a.p2pAddr, "secret-model"}
	jwt, _, err := auth.New(nil, testSecret, time.Hour).Issue("web")
	if err != nil {
		t.Fatal(err)
	}
	for name, hdr := range map[string][]string{
		"no token":     nil,
		"wrong key":    {"Authorization", "Bearer " + testKey + "x"},
		"basic scheme": {"Authorization", "Basic " + testKey},
		"foreign JWT":  {"Authorization", "Bearer " + auth.New(nil, testSecret+"-other", time.Hour).Sign(auth.Claims{Expires: time.Now().Add(time.Hour).Unix()})},
	} {
		body := page(hdr...)
		for _, p := range protected {
			if strings.Contains(body, p) {
				t.Errorf("%s: the page shows %q:\n%s", name, p, body)
			}
		}
		if !strings.Contains(body, "healthy") || !strings.Contains(body, "2 of 2") || !strings.Contains(body, "test") {
			t.Errorf("%s: the page lacks health, cluster size or version:\n%s", name, body)
		}
	}
	for name, tok := range map[string]string{"API key": testKey, "JWT": jwt} {
		body := page("Authorization", "Bearer "+tok)
		for _, p := range protected {
			if !strings.Contains(body, p) {
				t.Errorf("%s: the full page lacks %q:\n%s", name, p, body)
			}
		}
	}
}
