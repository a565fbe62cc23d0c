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
	// Two exchanges: the first one that notices waits for the other, which
	// still reported a, to notice too (no election against a live leader).
	hear(b, c)
	hear(c, b)
	hear(b, c)
	for _, x := range []*Cluster{b, c} {
		id, _, term := x.Leader()
		if id != "b" || term != tb+1 {
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

// mesh lets every node hear every other one, rounds times (a heartbeat each).
func mesh(rounds int, nodes ...*Cluster) {
	for i := 0; i < rounds; i++ {
		for _, x := range nodes {
			for _, y := range nodes {
				if x != y {
					hear(x, y)
				}
			}
		}
	}
}

// silence makes x see the given members silent for longer than the
// election timeout (killed, stopped or cut off).
func silence(x *Cluster, ids ...string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		if m := x.members[id]; m != nil {
			m.lastHeard = time.Now().Add(-2 * x.opts.ElectionTimeout)
		}
	}
}

// agreed checks that every node names leader and one common term, and
// returns that term.
func agreed(t *testing.T, what, leader string, nodes ...*Cluster) uint64 {
	t.Helper()
	var term uint64
	for i, x := range nodes {
		id, _, tm := x.Leader()
		if id != leader {
			t.Errorf("%s: %s names leader %s, want %s", what, x.self.ID, id, leader)
		}
		if i == 0 {
			term = tm
		} else if tm != term {
			t.Errorf("%s: %s is at term %d, %s at %d", what, x.self.ID, tm, nodes[0].self.ID, term)
		}
	}
	return term
}

// form builds a three-node cluster a, b, c (state in the given dirs) and
// returns it formed, with a leading.
func form(t *testing.T, dirs ...string) (a, b, c *Cluster, term uint64) {
	t.Helper()
	if len(dirs) == 0 {
		dirs = []string{"", "", ""}
	}
	a, b, c = newTest("a", dirs[0]), newTest("b", dirs[1]), newTest("c", dirs[2])
	mesh(2, a, b, c)
	return a, b, c, agreed(t, "formed", "a", a, b, c)
}

// The leader killed: the survivors elect a new one with term+1; the old
// leader restarted from its state rejoins as a follower at the survivors'
// term, and the leader does not change on its return.
func TestOldLeaderRejoinsAsFollower(t *testing.T) {
	dirA := t.TempDir()
	a, b, c, t0 := form(t, dirA, "", "")
	a.save()

	silence(b, "a")
	silence(c, "a")
	mesh(2, b, c)
	t1 := agreed(t, "a killed", "b", b, c)
	if t1 != t0+1 {
		t.Errorf("term %d after one leader change from %d", t1, t0)
	}

	a2 := newTest("a", dirA)
	if a2.term != t0 {
		t.Fatalf("restarted a loaded term %d, want %d", a2.term, t0)
	}
	// a hears one survivor first, then the cluster settles.
	hear(a2, b)
	agreed(t, "a restarted, heard b", "b", a2)
	hear(b, a2)
	hear(c, a2)
	agreed(t, "b and c heard the restarted a", "b", b, c)
	mesh(2, a2, b, c)
	if got := agreed(t, "a rejoined", "b", a2, b, c); got != t1 {
		t.Errorf("term %d after a rejoined, want the survivors' %d", got, t1)
	}
	if st := a2.Status(); st.IsLeader || st.Leader != "b" || st.ClusterSize != 3 || st.Health != Healthy {
		t.Errorf("rejoined a: %+v", st)
	}
}

// A node cut off alone (here the one with the lowest id, a follower) is
// unhealthy and names a leader without raising the term; reconnected, it
// does not take leadership from the majority. A leader cut off alone loses
// leadership to the majority's new one when it comes back.
func TestMinorityDoesNotTakeLeadership(t *testing.T) {
	a, b, c, _ := form(t)
	silence(b, "a")
	silence(c, "a")
	mesh(1, b, c)
	mesh(2, a, b, c) // a back, following b
	t1 := agreed(t, "a rejoined", "b", a, b, c)

	// Cut a off.
	silence(a, "b", "c")
	silence(b, "a")
	silence(c, "a")
	mesh(2, b, c)
	if st := a.Status(); st.Health != Unhealthy || st.Leader != "a" || st.Term != t1 {
		t.Errorf("cut-off a: health %s leader %s term %d (majority's term %d)", st.Health, st.Leader, st.Term, t1)
	}
	agreed(t, "a cut off", "b", b, c)
	// Reconnected: the majority hears a first, then a hears them.
	hear(b, a)
	hear(c, a)
	agreed(t, "majority heard the cut node", "b", b, c)
	hear(a, c)
	// c follows b, whom a has not heard yet: no leader rather than an
	// election of its own.
	agreed(t, "a heard c", "", a)
	hear(a, b)
	agreed(t, "a heard b", "b", a)
	mesh(2, a, b, c)
	if got := agreed(t, "a reconnected", "b", a, b, c); got != t1 {
		t.Errorf("term %d after the partition healed, want %d (no leader change)", got, t1)
	}

	// The brief's order: c cut off alone, reconnects, b keeps leading.
	silence(c, "a", "b")
	silence(a, "c")
	silence(b, "c")
	mesh(2, a, b)
	if st := c.Status(); st.Health != Unhealthy || st.Term != t1 {
		t.Errorf("cut-off c: %+v", st)
	}
	mesh(2, a, b, c)
	if got := agreed(t, "c reconnected", "b", a, b, c); got != t1 {
		t.Errorf("term %d after c reconnected, want %d", got, t1)
	}

	// The leader cut off: it keeps naming itself (unhealthy), the majority
	// elects a; healed, b follows a at the majority's term.
	silence(b, "a", "c")
	silence(a, "b")
	silence(c, "b")
	mesh(2, a, c)
	t2 := agreed(t, "b cut off", "a", a, c)
	if t2 != t1+1 {
		t.Errorf("term %d after the majority replaced b, want %d", t2, t1+1)
	}
	if st := b.Status(); st.Health != Unhealthy || st.Leader != "b" || st.Term != t1 {
		t.Errorf("cut-off leader b: %+v", st)
	}
	mesh(2, b, a, c)
	if got := agreed(t, "b reconnected", "a", a, b, c); got != t2 {
		t.Errorf("term %d after b reconnected, want %d", got, t2)
	}
}

// The term goes up by exactly one per leader change and not at all while
// membership is stable or when a member returns.
func TestTermIncrementsOncePerLeaderChange(t *testing.T) {
	a, b, c, t0 := form(t)
	mesh(3, a, b, c)
	if got := agreed(t, "stable", "a", a, b, c); got != t0 {
		t.Errorf("term moved from %d to %d with stable membership", t0, got)
	}
	silence(b, "a")
	silence(c, "a")
	mesh(3, b, c)
	if got := agreed(t, "a gone", "b", b, c); got != t0+1 {
		t.Errorf("term %d after one change from %d", got, t0)
	}
	mesh(3, a, b, c)
	if got := agreed(t, "a back", "b", a, b, c); got != t0+1 {
		t.Errorf("term %d after a returned, want %d", got, t0+1)
	}
	silence(a, "b")
	silence(c, "b")
	mesh(3, a, c)
	if got := agreed(t, "b gone", "a", a, c); got != t0+2 {
		t.Errorf("term %d after the second change, want %d", got, t0+2)
	}
	mesh(3, a, b, c)
	if got := agreed(t, "b back", "a", a, b, c); got != t0+2 {
		t.Errorf("term %d after b returned, want %d", got, t0+2)
	}
}

// Stopping all but one node and restarting them, then restarting all three
// from their saved state (with different saved terms), ends in agreement.
func TestAgreementAfterFullRestart(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	a, b, c, _ := form(t, dirs...)
	a.save()
	silence(b, "a")
	silence(c, "a")
	mesh(2, b, c)
	a = newTest("a", dirs[0])
	mesh(2, a, b, c)
	t1 := agreed(t, "a rejoined", "b", a, b, c)

	// b and c stop; a alone is unhealthy and does not raise the term.
	b.save()
	c.save()
	silence(a, "b", "c")
	if st := a.Status(); st.Health != Unhealthy || st.Term != t1 {
		t.Errorf("a alone: %+v", st)
	}
	b, c = newTest("b", dirs[1]), newTest("c", dirs[2])
	hear(b, a)
	hear(a, b)
	mesh(2, a, b, c)
	id, _, t2 := a.Leader()
	agreed(t, "b and c restarted", id, a, b, c)
	if t2 <= t1 {
		t.Errorf("term %d after a new election, want above %d", t2, t1)
	}

	// Everything stops; a was saved at an older term than b and c.
	a.save()
	mesh(1, b, c)
	b.save()
	c.save()
	a, b, c = newTest("c", dirs[2]), newTest("a", dirs[0]), newTest("b", dirs[1])
	mesh(2, a, b, c)
	id, _, _ = a.Leader()
	agreed(t, "all restarted", id, a, b, c)
	if st := a.Status(); st.ClusterSize != 3 || st.Health != Healthy {
		t.Errorf("after the full restart: %+v", st)
	}
}

// Two nodes restarted while the leader stayed up alone (unhealthy) hear each
// other first: they do not elect one of their own while a member they know
// from their state has not answered yet; the leader stays, at its term.
func TestRestartedNodesWaitForTheLeader(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	a, b, c, t0 := form(t, dirs...)
	b.save()
	c.save()
	silence(a, "b", "c")
	if st := a.Status(); st.Health != Unhealthy || st.Leader != "a" || st.Term != t0 {
		t.Errorf("a alone: %+v", st)
	}
	b, c = newTest("b", dirs[1]), newTest("c", dirs[2])
	mesh(2, b, c)
	for _, x := range []*Cluster{b, c} {
		if id, _, term := x.Leader(); id == "b" || id == "c" || term != t0 {
			t.Errorf("%s elected %s at term %d before hearing a (term %d)", x.self.ID, id, term, t0)
		}
	}
	mesh(2, a, b, c)
	if got := agreed(t, "b and c rejoined", "a", a, b, c); got != t0 {
		t.Errorf("term %d, want %d (no leader change)", got, t0)
	}
}
