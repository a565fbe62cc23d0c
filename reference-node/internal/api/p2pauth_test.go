package api

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
)

const (
	testClusterSecret  = "c-0123456789abcdef0123456789abcdef"
	otherClusterSecret = "c-fedcba9876543210fedcba9876543210"
)

// securedNode is a node with client auth on and the cluster secret given.
func securedNode(t *testing.T, id, secret string, bootstrap []string, log *lockedBuffer) *testNode {
	sp := nodeSpec{id: id, bootstrap: bootstrap, extra: fmt.Sprintf(
		"security: {enable_auth: true, api_keys: [%q], jwt: {secret: %q}}\ncluster: {secret: %q}\n", testKey, testSecret, secret)}
	if log != nil {
		sp.logTo = log
	}
	return startNode(t, sp)
}

// memberView is what a node knows of its members: "id=status/draining".
func memberView(t *testing.T, n *testNode) string {
	t.Helper()
	var out []string
	for _, x := range n.get("/api/v1/nodes", "Authorization", "Bearer "+testKey)["nodes"].([]interface{}) {
		m := x.(map[string]interface{})
		out = append(out, fmt.Sprintf("%v=%v", m["id"], m["status"]))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// gossipFrom is a well-formed gossip message in which id speaks for itself
// and claims that node-a is draining (a newer drain stamp than any real one).
func gossipFrom(id, p2p string) string {
	return fmt.Sprintf(`{"from": %q, "term": 99, "leader": %q, "max_size": 9, "members": [
		{"id": %q, "address": "127.0.0.1:9", "p2p_address": %q, "incarnation": 1, "version": 1},
		{"id": "node-a", "address": "127.0.0.1:9", "p2p_address": "127.0.0.1:9", "drain": {"draining": true, "stamp": %d, "by": "x"}}]}`,
		id, id, id, p2p, time.Now().Add(time.Hour).UnixNano())
}

// TestClusterSecret: with cluster.secret set, members that share it form a
// cluster; a gossip message with a client API key, a client JWT, no
// credential or a wrong secret gets 401 and changes no member (not added,
// not re-marked online, not drained); malformed gossip with the right
// secret gets 400 and changes nothing; a node with another secret does not
// join.
func TestClusterSecret(t *testing.T) {
	a := securedNode(t, "node-a", testClusterSecret, nil, nil)
	b := securedNode(t, "node-b", testClusterSecret, []string{a.p2pAddr}, nil)
	c := securedNode(t, "node-c", testClusterSecret, []string{a.p2pAddr}, nil)
	waitCluster(t, []*testNode{a, b, c}, 3, "healthy")

	// The members' own p2p calls carry the secret: a generate forwarded to
	// the only holder of a model, and a pull from it.
	bearer := []string{"Authorization", "Bearer " + testKey}
	b.seedModel("tiny", 10)
	eventually(t, "node-a hears of node-b's model", func() error {
		r := call(t, "POST", a.url("/api/generate"), `{"model": "tiny", "prompt": "hi", "stream": false}`, bearer...)
		if r.code != 200 || r.header.Get(ServedByHeader) != "node-b" {
			return fmt.Errorf("%d served by %q: %s", r.code, r.header.Get(ServedByHeader), r.body)
		}
		return nil
	})
	if r := call(t, "POST", c.url("/api/pull"), `{"name": "tiny", "stream": false}`, bearer...); r.code != 200 {
		t.Errorf("pull onto node-c over p2p: %d %s", r.code, r.body)
	}

	// node-c stops: node-a marks it offline. Messages below claim to come
	// from node-c; an accepted one would mark it online again.
	c.stop()
	eventually(t, "node-c offline on node-a", func() error {
		if v := memberView(t, a); v != "node-a=online node-b=online node-c=offline" {
			return fmt.Errorf("%s", v)
		}
		return nil
	})
	before := memberView(t, a)

	jwt := call(t, "POST", a.url("/api/v1/auth/token"), fmt.Sprintf(`{"api_key": %q}`, testKey)).json(t)["token"].(string)
	gossip := "http://" + a.p2pAddr + cluster.GossipPath
	for _, m := range []string{gossipFrom("intruder", "127.0.0.1:9"), gossipFrom("node-c", c.p2pAddr)} {
		for name, hdr := range map[string][]string{
			"client API key":         {"Authorization", "Bearer " + testKey},
			"client JWT":             {"Authorization", "Bearer " + jwt},
			"no credential":          nil,
			"wrong secret":           {cluster.SecretHeader, otherClusterSecret},
			"API key as secret":      {cluster.SecretHeader, testKey},
			"secret as bearer token": {"Authorization", "Bearer " + testClusterSecret},
			"empty secret":           {cluster.SecretHeader, ""},
		} {
			r := call(t, "POST", gossip, m, hdr...)
			if r.code != 401 {
				t.Errorf("gossip with %s: want 401, got %d %s", name, r.code, r.body)
				continue
			}
			assertJSONError(t, r, 401)
		}
	}
	// The other p2p routes are closed the same way.
	for _, p := range []struct{ method, path, body string }{
		{"GET", "/p2p/v1/manifest?name=x", ""},
		{"POST", "/p2p/v1/generate", `{"model": "x", "stream": false}`},
		{"POST", "/p2p/v1/chat", `{"model": "x", "stream": false}`},
		{"GET", "/nope", ""},
	} {
		assertJSONError(t, call(t, p.method, "http://"+a.p2pAddr+p.path, p.body, "Authorization", "Bearer "+testKey), 401)
	}

	// Malformed gossip, with the right secret, changes nothing either.
	secret := []string{cluster.SecretHeader, testClusterSecret}
	good := gossipFrom("node-c", c.p2pAddr)
	for name, body := range map[string]string{
		"not JSON":           "{nope",
		"trailing garbage":   good + " {}",
		"no sender":          strings.Replace(good, `"from": "node-c"`, `"from": ""`, 1),
		"bad sender id":      strings.Replace(good, `"from": "node-c"`, `"from": "node c!"`, 1),
		"sender not listed":  strings.Replace(good, `"from": "node-c"`, `"from": "node-z"`, 1),
		"bad member address": strings.Replace(good, `"p2p_address": "127.0.0.1:9"`, `"p2p_address": "nowhere"`, 1),
		"member without id":  strings.Replace(good, `"id": "node-a"`, `"id": ""`, 1),
		"member twice":       strings.Replace(good, `"id": "node-a"`, `"id": "node-c"`, 1),
		"negative max_size":  strings.Replace(good, `"max_size": 9`, `"max_size": -1`, 1),
		"no members":         `{"from": "node-c", "members": []}`,
		"a list":             `[1, 2]`,
	} {
		r := call(t, "POST", gossip, body, secret...)
		if r.code != 400 {
			t.Errorf("%s: want 400, got %d %s", name, r.code, r.body)
		}
	}

	if after := memberView(t, a); after != before {
		t.Errorf("refused messages changed the members: %s, then %s", before, after)
	}
	st := a.get("/api/v1/cluster/status", "Authorization", "Bearer "+testKey)
	if st["term"] == 99.0 || st["expected_size"] == 9.0 {
		t.Errorf("refused messages changed the term or the size: %v", st)
	}

	// A node with another secret does not join, either way round.
	d := securedNode(t, "node-d", otherClusterSecret, []string{a.p2pAddr}, nil)
	time.Sleep(1500 * time.Millisecond) // 15 heartbeats, more than the election timeout
	if after := memberView(t, a); after != before {
		t.Errorf("node-d with another secret changed node-a's members: %s", after)
	}
	if v := memberView(t, d); v != "node-d=online" {
		t.Errorf("node-d with another secret learned members: %s", v)
	}

	// Control: the same message with the right secret is heard at once, so
	// the refusals above were the secret's doing.
	if r := call(t, "POST", gossip, good, secret...); r.code != 200 {
		t.Fatalf("gossip with the right secret: %d %s", r.code, r.body)
	}
	if v := memberView(t, a); !strings.Contains(v, "node-c=online") || !strings.Contains(v, "node-a=draining") {
		t.Errorf("control message not merged: %s", v)
	}
}

// lockedBuffer collects a node's log lines; handlers write concurrently.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
