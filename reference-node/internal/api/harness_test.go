package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/auth"
	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
	"github.com/ollama-lab/distributed/reference-node/internal/config"
	"github.com/ollama-lab/distributed/reference-node/internal/logx"
	"github.com/ollama-lab/distributed/reference-node/internal/models"
)

// Test timings: short enough for a quick suite, long enough not to flap on
// a busy two-core machine.
const (
	testHeartbeat = "100ms"
	testElection  = "1s"
	waitLimit     = 15 * time.Second // deadline of every poll
)

// testNode is one node wired like main's serve(): API and p2p servers on
// real loopback listeners, and the membership loop.
type testNode struct {
	t       *testing.T
	id, dir string
	apiAddr string
	p2pAddr string
	cfg     *config.Config
	srv     *Server
	cl      *cluster.Cluster
	servers []*http.Server
	cancel  context.CancelFunc
	done    chan struct{}
	stopped bool
}

func listenFree(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func listenOn(t *testing.T, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	var err error
	deadline := time.Now().Add(waitLimit)
	for {
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln
		}
		if time.Now().After(deadline) {
			t.Fatalf("cannot listen on %s again: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// nodeSpec describes a node to start. Zero listeners mean ephemeral ports.
type nodeSpec struct {
	id        string
	dir       string // data directory; a new temp dir when empty
	apiLn     net.Listener
	p2pLn     net.Listener
	bootstrap []string
	extra     string    // more YAML, appended to the generated config
	logTo     io.Writer // the node's log (warn and above), discarded when nil
	apiExtra  string    // more keys of the api mapping, e.g. ", cors: {...}"
	storExtra string    // more keys of the storage mapping
}

func startNode(t *testing.T, sp nodeSpec) *testNode {
	t.Helper()
	if sp.dir == "" {
		sp.dir = t.TempDir()
	}
	if sp.apiLn == nil {
		sp.apiLn = listenFree(t)
	}
	if sp.p2pLn == nil {
		sp.p2pLn = listenFree(t)
	}
	boot, _ := json.Marshal(sp.bootstrap)
	if sp.bootstrap == nil {
		boot = []byte("[]")
	}
	doc := fmt.Sprintf(`node: {id: %s}
api: {listen: "%s"%s}
p2p: {listen: "%s", bootstrap: %s}
storage: {data_dir: "%s"%s}
consensus: {heartbeat_time: %s, election_timeout: %s}
logging: {level: error}
%s`, sp.id, sp.apiLn.Addr(), sp.apiExtra, sp.p2pLn.Addr(), boot, sp.dir, sp.storExtra, testHeartbeat, testElection, sp.extra)
	cfg, err := config.Parse([]byte(doc))
	if err != nil {
		t.Fatalf("config for %s: %v\n%s", sp.id, err, doc)
	}
	n := &testNode{t: t, id: sp.id, dir: sp.dir, apiAddr: sp.apiLn.Addr().String(), p2pAddr: sp.p2pLn.Addr().String(), cfg: cfg}

	authn := auth.New(cfg.Security.APIKeys, cfg.Security.JWT.Secret, cfg.Security.JWT.Expiration.D())
	store := models.NewStore(cfg.Storage.ModelsDir)
	if err := store.Init(); err != nil {
		t.Fatal(err)
	}
	// As main's prepareDirs does: the membership state is saved there, so a
	// restarted node knows its term, members and the largest size seen.
	if err := os.MkdirAll(cfg.Consensus.DataDir, 0o750); err != nil {
		t.Fatal(err)
	}
	peers := &cluster.Client{HTTP: &http.Client{Timeout: 10 * time.Second}, Secret: cfg.Cluster.Secret}
	log := logx.Discard()
	if sp.logTo != nil {
		log = logx.NewWriter("warn", sp.logTo)
	}
	var srv *Server
	n.cl = cluster.New(cluster.Options{
		Log: log,
		ID:  cfg.Node.ID, Address: cfg.API.Advertise, P2PAddress: cfg.P2P.Advertise,
		Bootstrap: cfg.P2P.Bootstrap, Heartbeat: cfg.Consensus.HeartbeatTime.D(),
		ElectionTimeout: cfg.Consensus.ElectionTimeout.D(), ExpectedSize: cfg.Cluster.ExpectedSize,
		StateDir: cfg.Consensus.DataDir, Client: peers,
		Local: func() cluster.Local {
			if srv == nil {
				return cluster.Local{Capabilities: cluster.Capabilities{SupportedModels: store.Names()}}
			}
			return srv.LocalInfo()
		},
	})
	srv = New(Options{Config: cfg, Log: log, Cluster: n.cl, Store: store, Auth: authn, Peers: peers, Version: "test"})
	n.srv = srv
	n.servers = srv.Start(Listeners{API: sp.apiLn, P2P: sp.p2pLn}, nil) // as main's serve() does
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel, n.done = cancel, make(chan struct{})
	go func() {
		n.cl.JoinNow(ctx)
		n.cl.Run(ctx)
		close(n.done)
	}()
	t.Cleanup(n.stop)
	return n
}

// stop silences the node: servers closed, membership loop ended.
func (n *testNode) stop() {
	if n.stopped {
		return
	}
	n.stopped = true
	for _, s := range n.servers {
		s.Close()
	}
	n.cancel()
	<-n.done
}

// restart starts a node with the same id, directory and ports.
func (n *testNode) restart(bootstrap []string) *testNode {
	n.stop()
	return startNode(n.t, nodeSpec{
		id: n.id, dir: n.dir, bootstrap: bootstrap,
		apiLn: listenOn(n.t, n.apiAddr), p2pLn: listenOn(n.t, n.p2pAddr),
	})
}

// seedModel writes a manifest the way a lab does.
func (n *testNode) seedModel(name string, size int64) {
	n.t.Helper()
	dir := filepath.Join(n.cfg.Storage.ModelsDir, "manifests")
	body := fmt.Sprintf(`{"name": %q, "size": %d, "details": {"family": "llama", "parameter_size": "1B", "quantization_level": "Q4_0"}}`, name, size)
	if err := os.WriteFile(filepath.Join(dir, models.FileName(name)), []byte(body), 0o644); err != nil {
		n.t.Fatal(err)
	}
	n.cl.RefreshSelf()
}

func (n *testNode) url(path string) string { return "http://" + n.apiAddr + path }

// response is a finished HTTP exchange.
type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]interface{} {
	t.Helper()
	var m map[string]interface{}
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// call sends a request; hdr is alternating header names and values.
func call(t *testing.T, method, url, body string, hdr ...string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if method == "POST" || method == "DELETE" { // the contract's only body type; hdr may override it
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if req.Header.Get("Content-Type") == "" { // "" means: send none
		req.Header.Del("Content-Type")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, data}
}

// get decodes a 200 JSON answer.
func (n *testNode) get(path string, hdr ...string) map[string]interface{} {
	n.t.Helper()
	r := call(n.t, "GET", n.url(path), "", hdr...)
	if r.code != 200 {
		n.t.Fatalf("GET %s on %s: %d %s", path, n.id, r.code, r.body)
	}
	return r.json(n.t)
}

// status reads /api/v1/cluster/status (with the node's first API key when
// auth is on), or nil when the node does not answer.
func (n *testNode) status() map[string]interface{} {
	req, _ := http.NewRequest("GET", n.url("/api/v1/cluster/status"), nil)
	if keys := n.cfg.Security.APIKeys; n.cfg.Security.EnableAuth && len(keys) > 0 {
		req.Header.Set("Authorization", "Bearer "+keys[0])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	var m map[string]interface{}
	if json.NewDecoder(resp.Body).Decode(&m) != nil {
		return nil
	}
	return m
}

var errNotYet = errors.New("not yet")

// eventually polls check until it returns nil or the deadline passes.
func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after %s: %v", what, waitLimit, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// assertJSONError checks the contract's error shape and headers.
func assertJSONError(t *testing.T, r response, code int) {
	t.Helper()
	if r.code != code {
		t.Errorf("want %d, got %d: %s", code, r.code, r.body)
		return
	}
	var e map[string]interface{}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Errorf("error body is not JSON: %s", r.body)
		return
	}
	if msg, _ := e["error"].(string); msg == "" {
		t.Errorf("no error message: %s", r.body)
	}
	ts, _ := e["timestamp"].(string)
	if _, err := time.Parse(time.RFC3339, ts); err != nil {
		t.Errorf("timestamp %q is not RFC3339", ts)
	}
	assertHeaders(t, r)
}

func assertHeaders(t *testing.T, r response) {
	t.Helper()
	for k, v := range map[string]string{
		"Content-Type":           "application/json",
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"X-Xss-Protection":       "0",
	} {
		if got := r.header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if r.header.Get("Server") != "" {
		t.Errorf("Server header leaks %q", r.header.Get("Server"))
	}
}

// ndjson splits a streamed body into its JSON lines.
func ndjson(t *testing.T, body []byte) []map[string]interface{} {
	t.Helper()
	var out []map[string]interface{}
	for _, line := range bytes.Split(bytes.TrimSpace(body), []byte("\n")) {
		var m map[string]interface{}
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}
