package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/logx"
)

func newTest(id string, dir string) *Cluster {
	return New(Options{
		ID: id, Address: "api-" + id + ":8080", P2PAddress: "p2p-" + id + ":4001",
		Heartbeat: 100 * time.Millisecond, ElectionTimeout: time.Second, StateDir: dir,
	})
}

// hear makes c receive a direct gossip message from peer.
func hear(c, peer *Cluster) {
	peer.mu.Lock()
	g := peer.gossipLocked()
	peer.mu.Unlock()
	c.receive(g, peer.self.P2PAddress, "")
}

func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		size, expected int
		want           string
	}{
		{3, 3, Healthy}, {4, 3, Healthy}, {2, 3, Degraded}, {1, 3, Unhealthy},
		{1, 1, Healthy}, {3, 5, Degraded}, {2, 4, Unhealthy}, {1, 2, Unhealthy},
	} {
		if got := verdict(c.size, c.expected); got != c.want {
			t.Errorf("verdict(%d, %d) = %s, want %s", c.size, c.expected, got, c.want)
		}
	}
}

func TestLeaderIsLowestOnlineID(t *testing.T) {
	a, b, c := newTest("a", ""), newTest("b", ""), newTest("c", "")
	for _, x := range []*Cluster{a, b, c} {
		for _, y := range []*Cluster{a, b, c} {
			if x != y {
				hear(x, y)
			}
		}
	}
	for _, x := range []*Cluster{a, b, c} {
		id, _, _ := x.Leader()
		if id != "a" {
			t.Errorf("%s: leader %s", x.self.ID, id)
		}
		if st := x.Status(); st.ClusterSize != 3 || st.Health != Healthy || st.ExpectedSize != 3 {
			t.Errorf("%s: %+v", x.self.ID, st)
		}
	}
	// b and c converge on one term for leader a.
	hear(b, c)
	hear(c, b)
	_, _, tb := b.Leader()
	_, _, tc := c.Leader()
	if tb != tc {
		t.Errorf("terms differ: %d vs %d", tb, tc)
	}

	// a goes silent: after the election timeout b leads, with a higher term.
	for _, x := range []*Cluster{b, c} {
		x.mu.Lock()
		x.members["a"].lastHeard = time.Now().Add(-2 * time.Second)
		x.mu.Unlock()
	}
	hear(b, c)
	hear(c, b)
	for _, x := range []*Cluster{b, c} {
		id, _, term := x.Leader()
		if id != "b" || term <= tb {
			t.Errorf("%s after a's silence: leader %s term %d (was %d)", x.self.ID, id, term, tb)
		}
		st := x.Status()
		if st.ClusterSize != 2 || st.Health != Degraded {
			t.Errorf("%s: size %d health %s", x.self.ID, st.ClusterSize, st.Health)
		}
		if n, _ := x.Node("a"); n.Status != Offline {
			t.Errorf("%s sees a as %s", x.self.ID, n.Status)
		}
	}
	_, _, t1 := b.Leader()
	hear(b, c)
	if _, _, t2 := b.Leader(); t2 != t1 {
		t.Errorf("term moved from %d to %d with stable membership", t1, t2)
	}
}

func TestDrainNewestStampWins(t *testing.T) {
	a, b := newTest("a", ""), newTest("b", "")
	hear(a, b)
	hear(b, a)
	if !a.SetDrain("b", true) || !a.SetDrain("b", true) {
		t.Fatal("SetDrain on a known member failed")
	}
	if a.SetDrain("ghost", true) {
		t.Error("SetDrain on an unknown id succeeded")
	}
	hear(b, a) // b learns it was drained through a
	if n, _ := b.Node("b"); n.Status != Draining || n.Capabilities.Available {
		t.Errorf("b's own record: %+v", n)
	}
	// b's own newer records must not undo the drain on a.
	b.refreshLocal()
	hear(a, b)
	if n, _ := a.Node("b"); n.Status != Draining {
		t.Errorf("a sees b as %s", n.Status)
	}
	// Uncordon on b travels back to a.
	b.SetDrain("b", false)
	hear(a, b)
	if n, _ := a.Node("b"); n.Status != Online {
		t.Errorf("after uncordon a sees b as %s", n.Status)
	}
	if st := a.Status(); st.ClusterSize != 2 {
		t.Errorf("size %d", st.ClusterSize)
	}
}

func TestRestartRejoinsAsItself(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	a, b := newTest("a", dirA), newTest("b", dirB)
	hear(a, b)
	hear(b, a)
	a.SetDrain("a", true)
	a.save()
	b.save()
	_, _, term := b.Leader()

	var saved savedState
	data, err := os.ReadFile(filepath.Join(dirB, "membership.json"))
	if err != nil || json.Unmarshal(data, &saved) != nil || saved.NodeID != "b" || len(saved.Members) != 1 || saved.Members[0].ID != "a" {
		t.Fatalf("saved state: %s (%v)", data, err)
	}

	// a restarts: same id, new incarnation, knows b from its state and
	// keeps its own drain state.
	a2 := newTest("a", dirA)
	if a2.self.Incarnation == a.self.Incarnation {
		t.Error("incarnation did not change")
	}
	if n, _ := a2.Node("b"); n.ID != "b" || n.Status != Offline {
		t.Errorf("restarted a does not know b from its state: %+v", n)
	}
	if !a2.self.Drain.Draining {
		t.Error("drain state lost at restart")
	}
	hear(a2, b)
	hear(b, a2)
	if nodes := b.Nodes(); len(nodes) != 2 {
		t.Errorf("b lists %d nodes after a's restart", len(nodes))
	}
	if n, _ := b.Node("a"); n.Status != Draining {
		t.Errorf("b sees restarted a as %s", n.Status)
	}
	if id, _, t2 := a2.Leader(); id != "a" || t2 != term {
		t.Errorf("restarted a: leader %s term %d, want a and the cluster's term %d", id, t2, term)
	}
	// Even with a clock that went back, a restart beats the old incarnation.
	a2.save()
	data, _ = os.ReadFile(filepath.Join(dirA, "membership.json"))
	_ = json.Unmarshal(data, &saved)
	saved.Incarnation = time.Now().Add(time.Hour).UnixNano()
	data, _ = json.Marshal(saved)
	os.WriteFile(filepath.Join(dirA, "membership.json"), data, 0o640)
	if a3 := newTest("a", dirA); a3.self.Incarnation <= saved.Incarnation {
		t.Errorf("incarnation %d does not beat the saved %d", a3.self.Incarnation, saved.Incarnation)
	}
	// State of another node is ignored.
	if c := newTest("c", dirA); len(c.members) != 0 {
		t.Error("c loaded a's membership")
	}
}

func TestExpectedSize(t *testing.T) {
	c := New(Options{ID: "x", ExpectedSize: 3, Heartbeat: time.Second, ElectionTimeout: 3 * time.Second})
	if st := c.Status(); st.ExpectedSize != 3 || st.Health != Unhealthy || c.Health() != Unhealthy {
		t.Errorf("alone with expected_size 3: %+v", st)
	}
	solo := New(Options{ID: "y", Heartbeat: time.Second, ElectionTimeout: 3 * time.Second})
	if solo.Health() != Healthy || solo.Status().ExpectedSize != 1 {
		t.Error("a single node without expected_size is not healthy")
	}
}

func TestFixHost(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:4001":  "10.1.2.3:4001",
		":4001":         "10.1.2.3:4001",
		"[::]:4001":     "10.1.2.3:4001",
		"10.9.9.9:4001": "10.9.9.9:4001",
		"host:4001":     "host:4001",
	} {
		if got := fixHost(in, "10.1.2.3"); got != want {
			t.Errorf("fixHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGossipOverHTTP runs three members over real HTTP (ephemeral ports):
// c knows only b, b knows only a, and all learn each other.
func TestGossipOverHTTP(t *testing.T) {
	type node struct {
		c   *Cluster
		srv *httptest.Server
	}
	mk := func(id string, boot []string) *node {
		n := &node{}
		mux := http.NewServeMux()
		mux.HandleFunc(GossipPath, func(w http.ResponseWriter, r *http.Request) { n.c.ServeGossip(w, r) })
		n.srv = httptest.NewServer(mux)
		addr := strings.TrimPrefix(n.srv.URL, "http://")
		n.c = New(Options{ID: id, Address: addr, P2PAddress: addr, Bootstrap: boot,
			Heartbeat: 50 * time.Millisecond, ElectionTimeout: 500 * time.Millisecond})
		return n
	}
	a := mk("a", nil)
	b := mk("b", []string{strings.TrimPrefix(a.srv.URL, "http://")})
	c := mk("c", []string{strings.TrimPrefix(b.srv.URL, "http://")})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, n := range []*node{a, b, c} {
		defer n.srv.Close()
		go n.c.Run(ctx)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok := true
		for _, n := range []*node{a, b, c} {
			st := n.c.Status()
			ok = ok && st.ClusterSize == 3 && st.Leader == "a"
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no agreement: a=%+v c=%+v", a.c.Status(), c.c.Status())
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Malformed gossip is a 400, not a crash.
	resp, err := http.Post(a.srv.URL+GossipPath, "application/json", strings.NewReader("{nope"))
	if err != nil || resp.StatusCode != 400 {
		t.Errorf("bad gossip: %v %v", resp, err)
	}
	if resp != nil {
		resp.Body.Close()
	}
}

// A peer that cannot be reached is logged once at warn level, not every
// heartbeat, and its recovery once at info level.
func TestUnreachablePeerLoggedOncePerChange(t *testing.T) {
	var buf bytes.Buffer
	closed := httptest.NewServer(http.NotFoundHandler())
	addr := strings.TrimPrefix(closed.URL, "http://")
	closed.Close() // nothing listens there any more
	c := New(Options{ID: "a", Address: "127.0.0.1:1", P2PAddress: "127.0.0.1:2", Bootstrap: []string{addr},
		Heartbeat: 50 * time.Millisecond, ElectionTimeout: 500 * time.Millisecond, Log: logx.NewWriter("info", &buf)})
	for i := 0; i < 3; i++ {
		var wg sync.WaitGroup
		c.send(context.Background(), &wg)
		wg.Wait()
	}
	if n := strings.Count(buf.String(), `"msg":"cannot reach peer"`); n != 1 {
		t.Fatalf("want one warning for %s after three failed heartbeats, got %d in:\n%s", addr, n, buf.String())
	}
	if !strings.Contains(buf.String(), `"level":"warn"`) || !strings.Contains(buf.String(), addr) {
		t.Fatalf("warning does not name the peer at warn level:\n%s", buf.String())
	}
	c.noteReach(addr, nil)
	c.noteReach(addr, nil)
	if n := strings.Count(buf.String(), `"msg":"peer reachable again"`); n != 1 {
		t.Fatalf("want one recovery line, got %d in:\n%s", n, buf.String())
	}
}

func TestSameIDIsLoggedOnceNamingBothAddresses(t *testing.T) {
	var buf bytes.Buffer
	a := New(Options{ID: "dup", Address: "127.0.0.1:1", P2PAddress: "127.0.0.1:4101",
		Heartbeat: 100 * time.Millisecond, ElectionTimeout: time.Second, Log: logx.NewWriter("info", &buf)})
	b := New(Options{ID: "dup", Address: "127.0.0.1:2", P2PAddress: "127.0.0.1:4102",
		Heartbeat: 100 * time.Millisecond, ElectionTimeout: time.Second})
	b.self.Incarnation++
	hear(a, b)
	hear(a, b)
	out := buf.String()
	if strings.Count(out, "another node uses this node id") != 1 || !strings.Contains(out, `"level":"error"`) ||
		!strings.Contains(out, `"address":"127.0.0.1:4101"`) || !strings.Contains(out, `"other_address":"127.0.0.1:4102"`) {
		t.Errorf("log:\n%s", out)
	}
}
