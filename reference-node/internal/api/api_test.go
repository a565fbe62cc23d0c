package api

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/auth"
)

func hasKeys(t *testing.T, what string, m map[string]interface{}, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s: key %q missing in %v", what, k, m)
		}
	}
}

var nodeKeys = []string{"id", "address", "p2p_address", "status", "last_seen", "tags", "capabilities", "metrics"}

// TestRouteFamilies checks that /api/*, /api/distributed/* and /api/v1/*
// answer with the contract's fields, headers included.
func TestRouteFamilies(t *testing.T) {
	n := startNode(t, nodeSpec{id: "solo"})
	n.seedModel("tinyllama", 1000)
	statusKeys := []string{"node_id", "cluster_size", "expected_size", "connected_peers", "leader", "is_leader", "term", "health", "last_update", "nodes"}
	cases := []struct {
		paths []string
		keys  []string
	}{
		{[]string{"/health", "/api/v1/health"}, []string{"status", "timestamp", "version", "node_id", "uptime", "uptime_seconds"}},
		{[]string{"/api/version", "/api/v1/version"}, []string{"version", "distribution", "go_version"}},
		{[]string{"/api/distributed/status", "/api/v1/cluster/status"}, statusKeys},
		{[]string{"/api/v1/cluster/leader"}, []string{"leader", "address", "term"}},
		{[]string{"/api/distributed/nodes", "/api/v1/nodes"}, []string{"nodes", "total"}},
		{[]string{"/api/distributed/nodes/solo", "/api/v1/nodes/solo"}, nodeKeys},
		{[]string{"/api/tags", "/api/v1/models"}, []string{"models"}},
		{[]string{"/api/distributed/models"}, []string{"models", "total"}},
		{[]string{"/api/v1/metrics"}, []string{"timestamp", "node_id", "connected_peers", "is_leader", "requests_processed", "models_loaded", "nodes_total", "nodes_online", "uptime_seconds", "cpu_usage", "memory_usage"}},
		{[]string{"/api/distributed/metrics"}, []string{"integration", "inference"}},
	}
	for _, c := range cases {
		for _, p := range c.paths {
			r := call(t, "GET", n.url(p), "")
			if r.code != 200 {
				t.Errorf("GET %s: %d %s", p, r.code, r.body)
				continue
			}
			assertHeaders(t, r)
			hasKeys(t, p, r.json(t), c.keys...)
		}
	}

	h := n.get("/health")
	if h["status"] != "healthy" || h["node_id"] != "solo" || h["version"] != "test" {
		t.Errorf("/health: %v", h)
	}
	st := n.get("/api/distributed/status")
	if st["cluster_size"] != 1.0 || st["leader"] != "solo" || st["is_leader"] != true || st["health"] != "healthy" {
		t.Errorf("single node status: %v", st)
	}
	nodes := n.get("/api/v1/nodes")["nodes"].([]interface{})
	if len(nodes) != 1 {
		t.Fatalf("nodes: %v", nodes)
	}
	node := nodes[0].(map[string]interface{})
	hasKeys(t, "node", node, nodeKeys...)
	hasKeys(t, "node.capabilities", node["capabilities"].(map[string]interface{}),
		"cpu_cores", "memory", "storage", "supported_models", "available", "load_factor")
	hasKeys(t, "node.metrics", node["metrics"].(map[string]interface{}),
		"cpu_usage", "memory_usage", "disk_usage", "network_rx", "network_tx")

	tags := n.get("/api/tags")["models"].([]interface{})
	if len(tags) != 1 {
		t.Fatalf("tags: %v", tags)
	}
	m := tags[0].(map[string]interface{})
	hasKeys(t, "model", m, "name", "size", "digest", "modified_at", "details")
	hasKeys(t, "model.details", m["details"].(map[string]interface{}), "format", "family", "parameter_size", "quantization_level")
	if m["name"] != "tinyllama:latest" {
		t.Errorf("model name %v", m["name"])
	}
	dm := n.get("/api/distributed/models")["models"].([]interface{})[0].(map[string]interface{})
	hasKeys(t, "distributed model", dm, "name", "size", "digest", "replicas", "locations", "status")
	if dm["replicas"] != 1.0 || fmt.Sprint(dm["locations"]) != "[solo]" {
		t.Errorf("distributed model: %v", dm)
	}
	v := n.get("/api/v1/version")
	if v["distribution"] != "reference" || !strings.HasPrefix(v["go_version"].(string), "go") {
		t.Errorf("version: %v", v)
	}
}

func TestEmptyListsAreLists(t *testing.T) {
	n := startNode(t, nodeSpec{id: "empty"})
	for _, p := range []string{"/api/tags", "/api/v1/models", "/api/distributed/models"} {
		r := call(t, "GET", n.url(p), "")
		if !strings.Contains(string(r.body), `"models":[]`) {
			t.Errorf("%s: want an empty list, got %s", p, r.body)
		}
	}
}

func TestPrometheusMetrics(t *testing.T) {
	n := startNode(t, nodeSpec{id: "prom"})
	call(t, "GET", n.url("/health"), "")
	call(t, "GET", n.url("/nope"), "")
	r := call(t, "GET", n.url("/metrics"), "")
	if r.code != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %s", r.code, r.header.Get("Content-Type"))
	}
	body := string(r.body)
	for _, want := range []string{
		"ollama_distributed_up 1",
		"ollama_distributed_cluster_size 1",
		"ollama_distributed_connected_peers 0",
		"ollama_distributed_is_leader 1",
		"ollama_distributed_models 0",
		`ollama_distributed_requests_total{route="/health",code="200"} 1`,
		`ollama_distributed_requests_total{route="unmatched",code="404"} 1`,
		"# TYPE ollama_distributed_request_duration_seconds histogram",
		`ollama_distributed_request_duration_seconds_bucket{le="+Inf"} 2`,
		"ollama_distributed_request_duration_seconds_count 2",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

// TestBadInput sends everything a client can get wrong and expects a 4xx
// JSON error each time, with the node still serving afterwards.
func TestBadInput(t *testing.T) {
	n := startNode(t, nodeSpec{id: "bad"})
	big := `{"model": "x", "prompt": "` + strings.Repeat("a", MaxBodyBytes) + `"}`
	cases := []struct {
		method, path, body string
		code               int
	}{
		{"GET", "/no/such/route", "", 404},
		{"GET", "/api/generate", "", 405},
		{"DELETE", "/health", "", 405},
		{"POST", "/api/generate", "{not json", 400},
		{"POST", "/api/generate", "", 400},
		{"POST", "/api/generate", `{"prompt": "no model"}`, 400},
		{"POST", "/api/generate", `["a", "list"]`, 400},
		{"POST", "/api/generate", big, 413},
		{"POST", "/api/generate", `{"model": "missing", "prompt": "hi"}`, 404},
		{"POST", "/api/chat", `{"model": "missing", "messages": []}`, 404},
		{"POST", "/api/chat", `{"model": 5}`, 400},
		{"POST", "/api/pull", `{"name": "missing"}`, 404},
		{"POST", "/api/pull", `{}`, 400},
		{"POST", "/api/pull", `{"name": "x", "stream": "yes"}`, 400},
		{"DELETE", "/api/delete", `{"name": "missing"}`, 404},
		{"DELETE", "/api/delete", `{}`, 400},
		{"GET", "/api/distributed/nodes/ghost", "", 404},
		{"GET", "/api/v1/nodes/ghost", "", 404},
		{"POST", "/api/distributed/nodes/ghost/drain", "", 404},
		{"POST", "/api/v1/nodes/ghost/uncordon", "", 404},
		{"POST", "/api/v1/nodes/ghost/undrain", "", 404},
		{"POST", "/api/v1/auth/token", `{"api_key": "whatever"}`, 401},
		{"POST", "/api/v1/auth/token", `{"api_key":`, 400},
	}
	for _, c := range cases {
		r := call(t, c.method, n.url(c.path), c.body)
		t.Run(fmt.Sprintf("%s %s %d", c.method, c.path, c.code), func(t *testing.T) {
			assertJSONError(t, r, c.code)
		})
	}
	if r := call(t, "GET", n.url("/health"), ""); r.code != 200 {
		t.Errorf("node stopped serving after bad input: %d", r.code)
	}
}

const (
	testKey    = "k-0123456789abcdef0123456789abcdef"
	testSecret = "s-0123456789abcdef0123456789abcdef"
)

func TestAuth(t *testing.T) {
	n := startNode(t, nodeSpec{id: "secure", extra: fmt.Sprintf(
		"security: {enable_auth: true, api_keys: [%q], jwt: {secret: %q, expiration: 1h}}\n", testKey, testSecret)})
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

	for _, p := range []string{"/health", "/api/v1/health", "/api/version", "/api/v1/version", "/metrics"} {
		if r := call(t, "GET", n.url(p), ""); r.code != 200 {
			t.Errorf("public %s: %d", p, r.code)
		}
	}

	protected := []string{"/api/tags", "/api/v1/models", "/api/distributed/status", "/api/v1/cluster/status",
		"/api/v1/cluster/leader", "/api/distributed/nodes", "/api/v1/nodes", "/api/v1/nodes/secure",
		"/api/distributed/models", "/api/v1/metrics", "/api/distributed/metrics"}
	other := auth.New(nil, testSecret+"-other", time.Hour)
	foreign, _, _ := other.Issue("x")
	mine := auth.New(nil, testSecret, time.Hour)
	expired := mine.Sign(auth.Claims{Subject: "x", Expires: time.Now().Add(-time.Minute).Unix()})
	for _, p := range protected {
		for name, hdr := range map[string][]string{
			"none":          nil,
			"wrong key":     bearer(testKey + "x"),
			"foreign jwt":   bearer(foreign),
			"expired jwt":   bearer(expired),
			"basic scheme":  {"Authorization", "Basic " + testKey},
			"empty bearer":  {"Authorization", "Bearer "},
			"garbage token": bearer("a.b.c"),
		} {
			r := call(t, "GET", n.url(p), "", hdr...)
			if r.code != 401 {
				t.Errorf("%s with %s: want 401, got %d", p, name, r.code)
				continue
			}
			assertJSONError(t, r, 401)
		}
		if r := call(t, "GET", n.url(p), "", bearer(testKey)...); r.code != 200 {
			t.Errorf("%s with API key: %d %s", p, r.code, r.body)
		}
	}
	for _, req := range []struct{ method, path, body string }{
		{"POST", "/api/generate", `{"model": "x"}`},
		{"POST", "/api/chat", `{"model": "x"}`},
		{"POST", "/api/pull", `{"name": "x"}`},
		{"DELETE", "/api/delete", `{"name": "x"}`},
		{"POST", "/api/v1/nodes/secure/drain", ""},
		{"POST", "/api/distributed/nodes/secure/uncordon", ""},
	} {
		if r := call(t, req.method, n.url(req.path), req.body); r.code != 401 {
			t.Errorf("%s %s without token: %d", req.method, req.path, r.code)
		}
	}

	// API key -> JWT -> protected route.
	r := call(t, "POST", n.url("/api/v1/auth/token"), fmt.Sprintf(`{"api_key": %q}`, testKey))
	if r.code != 200 {
		t.Fatalf("token: %d %s", r.code, r.body)
	}
	tok := r.json(t)
	jwt, _ := tok["token"].(string)
	exp, err := time.Parse(time.RFC3339, fmt.Sprint(tok["expires_at"]))
	if err != nil || time.Until(exp) < 50*time.Minute || time.Until(exp) > 61*time.Minute {
		t.Errorf("expires_at %v (want about 1h from now): %v", tok["expires_at"], err)
	}
	if strings.Count(jwt, ".") != 2 {
		t.Fatalf("token is not a JWT: %q", jwt)
	}
	if r := call(t, "GET", n.url("/api/v1/cluster/status"), "", bearer(jwt)...); r.code != 200 {
		t.Errorf("issued JWT rejected: %d %s", r.code, r.body)
	}
	if r := call(t, "GET", n.url("/api/tags"), "", "Authorization", "bearer "+mine.Sign(auth.Claims{Expires: time.Now().Add(time.Minute).Unix()})); r.code != 200 {
		t.Errorf("JWT signed with the secret (lower-case scheme) rejected: %d", r.code)
	}
	if r := call(t, "POST", n.url("/api/v1/auth/token"), `{"api_key": "wrong"}`); r.code != 401 {
		t.Errorf("token with wrong key: %d", r.code)
	}
}

func TestCORS(t *testing.T) {
	open := startNode(t, nodeSpec{id: "open"})
	r := call(t, "OPTIONS", open.url("/api/tags"), "", "Origin", "https://ui.example", "Access-Control-Request-Method", "GET")
	if r.code != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://ui.example" {
		t.Errorf("preflight with default origins: %d %v", r.code, r.header)
	}

	strict := startNode(t, nodeSpec{id: "strict", apiExtra: ", cors: {enabled: true, origins: ['https://ok.example']}"})
	r = call(t, "OPTIONS", strict.url("/api/generate"), "", "Origin", "https://ok.example")
	if r.code != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://ok.example" {
		t.Errorf("allowed origin: %d %v", r.code, r.header)
	}
	r = call(t, "GET", strict.url("/health"), "", "Origin", "https://ok.example")
	if r.header.Get("Access-Control-Allow-Origin") != "https://ok.example" {
		t.Errorf("GET with allowed origin lacks the CORS header: %v", r.header)
	}
	r = call(t, "OPTIONS", strict.url("/api/generate"), "", "Origin", "https://evil.example")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("disallowed origin got %q", r.header.Get("Access-Control-Allow-Origin"))
	}
	assertJSONError(t, r, 403)

	off := startNode(t, nodeSpec{id: "off", apiExtra: ", cors: {enabled: false}"})
	r = call(t, "GET", off.url("/health"), "", "Origin", "https://ui.example")
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("CORS disabled but header sent")
	}
}

func TestRateLimit(t *testing.T) {
	n := startNode(t, nodeSpec{id: "limited", apiExtra: ", rate_limit: {enabled: true, requests_per_minute: 1, burst_size: 3}"})
	for i := 0; i < 3; i++ {
		if r := call(t, "GET", n.url("/health"), ""); r.code != 200 {
			t.Fatalf("request %d within the burst: %d", i+1, r.code)
		}
	}
	r := call(t, "GET", n.url("/health"), "")
	assertJSONError(t, r, 429)
	if r.header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}

	free := startNode(t, nodeSpec{id: "unlimited"})
	for i := 0; i < 150; i++ {
		if r := call(t, "GET", free.url("/health"), ""); r.code != 200 {
			t.Fatalf("rate limit off, request %d: %d", i+1, r.code)
		}
	}
}

func TestLimiterRefills(t *testing.T) {
	l := newLimiter(60, 2) // one token a second
	now := time.Unix(1000, 0)
	for i := 0; i < 2; i++ {
		if _, ok := l.allow("ip", now); !ok {
			t.Fatalf("burst request %d refused", i)
		}
	}
	wait, ok := l.allow("ip", now)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("third request: ok=%v wait=%v", ok, wait)
	}
	if _, ok := l.allow("other-ip", now); !ok {
		t.Error("limit is not per client")
	}
	if _, ok := l.allow("ip", now.Add(time.Second)); !ok {
		t.Error("no token after a second")
	}
}

func TestGenerateAndChat(t *testing.T) {
	n := startNode(t, nodeSpec{id: "gen"})
	n.seedModel("tinyllama:1b", 1000)

	post := func(path, body string) response { return call(t, "POST", n.url(path), body) }
	r := post("/api/generate", `{"model": "tinyllama:1b", "prompt": "why is the sky blue", "stream": false}`)
	if r.code != 200 {
		t.Fatalf("generate: %d %s", r.code, r.body)
	}
	assertHeaders(t, r)
	g := r.json(t)
	hasKeys(t, "generate", g, "model", "created_at", "response", "done", "total_duration", "load_duration",
		"prompt_eval_count", "eval_count", "eval_duration")
	text, _ := g["response"].(string)
	if g["done"] != true || g["model"] != "tinyllama:1b" || !strings.Contains(text, "reference generator") || !strings.Contains(text, "lab generator") || !strings.Contains(text, "without running any model") {
		t.Errorf("generate answer: %v", g)
	}
	if r.header.Get(ServedByHeader) != "gen" {
		t.Errorf("served by %q", r.header.Get(ServedByHeader))
	}
	again := post("/api/generate", `{"model": "tinyllama:1b", "prompt": "why is the sky blue", "stream": false}`).json(t)
	if again["response"] != g["response"] {
		t.Errorf("generator not deterministic: %q vs %q", again["response"], g["response"])
	}
	other := post("/api/generate", `{"model": "tinyllama:1b", "prompt": "something else", "stream": false}`).json(t)
	if other["response"] == g["response"] {
		t.Error("different prompts gave the same answer")
	}

	// Streaming when asked: NDJSON chunks ending in done.
	r = post("/api/generate", `{"model": "tinyllama:1b", "prompt": "why is the sky blue", "stream": true}`)
	if ct := r.header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("stream content type %q", ct)
	}
	lines := ndjson(t, r.body)
	if len(lines) < 3 {
		t.Fatalf("want several chunks, got %d", len(lines))
	}
	var joined strings.Builder
	for i, l := range lines {
		last := i == len(lines)-1
		if l["done"] != last {
			t.Errorf("chunk %d: done=%v", i, l["done"])
		}
		joined.WriteString(fmt.Sprint(l["response"]))
	}
	if joined.String() != text {
		t.Errorf("streamed text %q differs from %q", joined.String(), text)
	}
	if lines[len(lines)-1]["eval_count"] == nil {
		t.Error("final chunk lacks eval_count")
	}

	r = post("/api/generate", `{"model": "tinyllama:1b", "prompt": "count", "stream": false, "options": {"num_predict": 3}}`)
	if got := strings.Fields(fmt.Sprint(r.json(t)["response"])); len(got) != 3 {
		t.Errorf("num_predict 3 gave %q", got)
	}

	r = post("/api/chat", `{"model": "tinyllama:1b", "messages": [{"role": "user", "content": "hello"}], "stream": false}`)
	c := r.json(t)
	msg, _ := c["message"].(map[string]interface{})
	if r.code != 200 || c["done"] != true || msg["role"] != "assistant" || !strings.Contains(fmt.Sprint(msg["content"]), "reference generator") {
		t.Errorf("chat: %d %v", r.code, c)
	}
	lines = ndjson(t, post("/api/chat", `{"model": "tinyllama:1b", "messages": [{"role": "user", "content": "hello"}], "stream": true}`).body)
	if lines[len(lines)-1]["done"] != true || lines[0]["message"] == nil {
		t.Errorf("chat stream: first %v last %v", lines[0], lines[len(lines)-1])
	}

	dm := n.get("/api/distributed/metrics")
	inf := dm["inference"].(map[string]interface{})
	integ := dm["integration"].(map[string]interface{})
	if inf["total_inferences"].(float64) < 6 || integ["local_requests"].(float64) < 6 || inf["total_tokens_processed"].(float64) == 0 {
		t.Errorf("distributed metrics: %v", dm)
	}
}

func TestPullDeleteDrainLocal(t *testing.T) {
	n := startNode(t, nodeSpec{id: "local"})
	n.seedModel("phi", 10)

	r := call(t, "POST", n.url("/api/pull"), `{"name": "phi", "stream": false}`)
	if r.code != 200 || r.json(t)["status"] != "success" {
		t.Errorf("pull of a present model: %d %s", r.code, r.body)
	}
	lines := ndjson(t, call(t, "POST", n.url("/api/pull"), `{"name": "phi:latest", "stream": true}`).body)
	if lines[len(lines)-1]["status"] != "success" {
		t.Errorf("pull stream does not end in success: %v", lines)
	}

	// Drain is idempotent and keeps generate work away.
	for _, p := range []string{"/api/distributed/nodes/local/drain", "/api/v1/nodes/local/drain"} {
		r := call(t, "POST", n.url(p), "")
		if r.code != 200 || r.json(t)["status"] != "draining" {
			t.Errorf("%s: %d %s", p, r.code, r.body)
		}
	}
	if st := n.get("/api/v1/nodes/local")["status"]; st != "draining" {
		t.Errorf("node status %v after drain", st)
	}
	assertJSONError(t, call(t, "POST", n.url("/api/generate"), `{"model": "phi", "stream": false}`), 503)
	for _, p := range []string{"/api/v1/nodes/local/uncordon", "/api/distributed/nodes/local/undrain", "/api/v1/nodes/local/uncordon"} {
		r := call(t, "POST", n.url(p), "")
		if r.code != 200 || r.json(t)["status"] != "online" {
			t.Errorf("%s: %d %s", p, r.code, r.body)
		}
	}
	if r := call(t, "POST", n.url("/api/generate"), `{"model": "phi", "stream": false}`); r.code != 200 {
		t.Errorf("generate after uncordon: %d", r.code)
	}

	r = call(t, "DELETE", n.url("/api/delete"), `{"name": "phi"}`)
	if r.code != 200 {
		t.Errorf("delete: %d %s", r.code, r.body)
	}
	assertJSONError(t, call(t, "DELETE", n.url("/api/delete"), `{"name": "phi"}`), 404)
	if tags := n.get("/api/tags")["models"].([]interface{}); len(tags) != 0 {
		t.Errorf("model still listed after delete: %v", tags)
	}
}

func TestWebPage(t *testing.T) {
	n := startNode(t, nodeSpec{id: "web", extra: "web: {title: 'Lab <1>'}\n"})
	h := n.srv.WebHandler()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "Lab &lt;1&gt;") || !strings.Contains(body, "<b>web</b>") {
		t.Errorf("status page: %d %s", w.Code, body)
	}
	if w.Header().Get("X-Frame-Options") != "DENY" {
		t.Error("status page without X-Frame-Options")
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/other", nil))
	var e map[string]interface{}
	if w.Code != 404 || json.Unmarshal(w.Body.Bytes(), &e) != nil {
		t.Errorf("status page, other path: %d %s", w.Code, w.Body.String())
	}
}
