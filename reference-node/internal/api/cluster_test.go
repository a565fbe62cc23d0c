package api

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// nodeStatus finds one member's status in a cluster status answer.
func nodeStatus(st map[string]interface{}, id string) string {
	nodes, _ := st["nodes"].([]interface{})
	for _, x := range nodes {
		if m, _ := x.(map[string]interface{}); m["id"] == id {
			return fmt.Sprint(m["status"])
		}
	}
	return ""
}

// waitCluster polls until every node reports size members online, the given
// health and the same leader (not none, as while a member waits to hear
// the leader a peer follows) and term; it returns the leader.
func waitCluster(t *testing.T, nodes []*testNode, size int, health string) string {
	t.Helper()
	var leader string
	eventually(t, fmt.Sprintf("%d nodes agree on size %d, %s, one leader", len(nodes), size, health), func() error {
		var leaders, terms []string
		for _, n := range nodes {
			st := n.status()
			if st == nil {
				return fmt.Errorf("%s does not answer", n.id)
			}
			if st["cluster_size"] != float64(size) || st["health"] != health {
				return fmt.Errorf("%s: cluster_size %v health %v", n.id, st["cluster_size"], st["health"])
			}
			leaders = append(leaders, fmt.Sprint(st["leader"]))
			terms = append(terms, fmt.Sprint(st["term"]))
		}
		for i := range leaders {
			if leaders[i] == "" || leaders[i] != leaders[0] || terms[i] != terms[0] {
				return fmt.Errorf("leaders %v terms %v", leaders, terms)
			}
		}
		leader = leaders[0]
		return nil
	})
	return leader
}

// TestThreeNodeCluster forms a cluster of three in-process nodes on
// ephemeral ports (node-3 only knows node-2, which only knows node-1), then
// checks leader agreement, a silent member, losing quorum, rejoining as
// itself and drain state seen by all.
func TestThreeNodeCluster(t *testing.T) {
	n1 := startNode(t, nodeSpec{id: "node-1"})
	n2 := startNode(t, nodeSpec{id: "node-2", bootstrap: []string{n1.p2pAddr}})
	n3 := startNode(t, nodeSpec{id: "node-3", bootstrap: []string{n2.p2pAddr}})
	all := []*testNode{n1, n2, n3}

	leader := waitCluster(t, all, 3, "healthy")
	if leader != "node-1" {
		t.Errorf("leader %s, want node-1 (the first node, which the others joined)", leader)
	}
	for _, n := range all {
		st := n.status()
		if st["expected_size"] != 3.0 || st["connected_peers"] != 2.0 || st["is_leader"] != (n.id == leader) {
			t.Errorf("%s status: %v", n.id, st)
		}
		if total := n.get("/api/distributed/nodes")["total"]; total != 3.0 {
			t.Errorf("%s lists %v nodes", n.id, total)
		}
		if l := n.get("/api/v1/cluster/leader"); l["leader"] != leader || l["address"] != n1.apiAddr {
			t.Errorf("%s leader answer: %v", n.id, l)
		}
	}
	term := n1.status()["term"]

	// Drain on one member is seen by every member.
	if r := call(t, "POST", n3.url("/api/v1/nodes/node-2/drain"), ""); r.code != 200 {
		t.Fatalf("drain node-2 via node-3: %d %s", r.code, r.body)
	}
	eventually(t, "every member sees node-2 draining", func() error {
		for _, n := range all {
			if s := nodeStatus(n.status(), "node-2"); s != "draining" {
				return fmt.Errorf("%s sees node-2 %s", n.id, s)
			}
		}
		return nil
	})
	if st := n1.status(); st["cluster_size"] != 3.0 || st["health"] != "healthy" {
		t.Errorf("a draining member still counts as online: %v", st)
	}
	if r := call(t, "POST", n1.url("/api/distributed/nodes/node-2/uncordon"), ""); r.code != 200 {
		t.Fatalf("uncordon: %d", r.code)
	}
	eventually(t, "every member sees node-2 online again", func() error {
		for _, n := range all {
			if s := nodeStatus(n.status(), "node-2"); s != "online" {
				return fmt.Errorf("%s sees node-2 %s", n.id, s)
			}
		}
		return nil
	})

	// A silent member goes offline; the rest stay degraded with one leader.
	n3.stop()
	waitCluster(t, []*testNode{n1, n2}, 2, "degraded")
	if s := nodeStatus(n1.status(), "node-3"); s != "offline" {
		t.Errorf("node-1 sees stopped node-3 as %s", s)
	}
	if r := call(t, "GET", n1.url("/health"), ""); r.code != 200 || r.json(t)["status"] != "degraded" {
		t.Errorf("/health with 2 of 3: %d %s", r.code, r.body)
	}
	if n1.status()["term"] != term {
		t.Errorf("term changed from %v without a leader change", term)
	}

	// Losing the leader too: node-2 alone has no quorum.
	n1.stop()
	eventually(t, "node-2 alone is unhealthy with 503", func() error {
		r := call(t, "GET", n2.url("/health"), "")
		if r.code != 503 || r.json(t)["status"] != "unhealthy" {
			return fmt.Errorf("%d %s", r.code, r.body)
		}
		return nil
	})
	if l := n2.status()["leader"]; l != "node-2" {
		t.Errorf("node-2 alone reports leader %v", l)
	}

	// Restarted nodes rejoin as themselves (same id, state dir and ports;
	// node-3 with an empty bootstrap list finds the others from its state).
	n1 = n1.restart(nil)
	n3 = n3.restart(nil)
	all = []*testNode{n1, n2, n3}
	// node-2 alone named itself without a quorum; whoever the reunited
	// majority elects, all three agree (waitCluster) on a later term.
	waitCluster(t, all, 3, "healthy")
	if got := n1.status()["term"].(float64); got <= term.(float64) {
		t.Errorf("term %v after a new election, was %v", got, term)
	}
	for _, n := range all {
		var ids []string
		for _, x := range n.get("/api/v1/nodes")["nodes"].([]interface{}) {
			ids = append(ids, fmt.Sprint(x.(map[string]interface{})["id"]))
		}
		sort.Strings(ids)
		if strings.Join(ids, ",") != "node-1,node-2,node-3" {
			t.Errorf("%s lists %v after rejoin", n.id, ids)
		}
	}
}

// TestLeaderRejoinsAsFollower stops the leader: the two others elect a new
// one with term+1; restarted, the old leader follows it at the same term and
// the leader does not change on its return.
func TestLeaderRejoinsAsFollower(t *testing.T) {
	n1 := startNode(t, nodeSpec{id: "node-1"})
	n2 := startNode(t, nodeSpec{id: "node-2", bootstrap: []string{n1.p2pAddr}})
	n3 := startNode(t, nodeSpec{id: "node-3", bootstrap: []string{n1.p2pAddr}})
	if leader := waitCluster(t, []*testNode{n1, n2, n3}, 3, "healthy"); leader != "node-1" {
		t.Fatalf("leader %s, want node-1", leader)
	}
	term := n1.status()["term"].(float64)

	n1.stop()
	if leader := waitCluster(t, []*testNode{n2, n3}, 2, "degraded"); leader != "node-2" {
		t.Errorf("leader after node-1 stopped: %s", leader)
	}
	if got := n2.status()["term"].(float64); got != term+1 {
		t.Errorf("term %v after one leader change from %v", got, term)
	}

	n1 = n1.restart([]string{n2.p2pAddr})
	all := []*testNode{n1, n2, n3}
	if leader := waitCluster(t, all, 3, "healthy"); leader != "node-2" {
		t.Errorf("leader after node-1 rejoined: %s, want node-2", leader)
	}
	for _, n := range all {
		st := n.status()
		if st["term"] != term+1 || st["is_leader"] != (n.id == "node-2") {
			t.Errorf("%s after node-1 rejoined: term %v (want %v), is_leader %v", n.id, st["term"], term+1, st["is_leader"])
		}
	}
}

// TestModelsAcrossNodes pulls a model from a peer, routes generate requests
// through a node that lacks the model, and checks the scheduler never picks
// a draining node.
func TestModelsAcrossNodes(t *testing.T) {
	n1 := startNode(t, nodeSpec{id: "node-1"})
	n2 := startNode(t, nodeSpec{id: "node-2", bootstrap: []string{n1.p2pAddr}})
	n3 := startNode(t, nodeSpec{id: "node-3", bootstrap: []string{n1.p2pAddr}, storExtra: ", max_size: 500B"})
	all := []*testNode{n1, n2, n3}
	waitCluster(t, all, 3, "healthy")
	n1.seedModel("tinyllama", 1000)

	assertJSONError(t, call(t, "POST", n2.url("/api/pull"), `{"name": "no-such-model", "stream": false}`), 404)
	eventually(t, "node-2 learns node-1 has tinyllama", func() error {
		if r := call(t, "POST", n2.url("/api/pull"), `{"name": "tinyllama", "stream": false}`); r.code != 200 {
			return fmt.Errorf("pull: %d %s", r.code, r.body)
		}
		return nil
	})
	tags := n2.get("/api/tags")["models"].([]interface{})
	if len(tags) != 1 || tags[0].(map[string]interface{})["size"] != 1000.0 {
		t.Fatalf("node-2 models after pull: %v", tags)
	}
	// The copy keeps the digest of the original.
	d1 := n1.get("/api/tags")["models"].([]interface{})[0].(map[string]interface{})["digest"]
	if d2 := tags[0].(map[string]interface{})["digest"]; d1 != d2 {
		t.Errorf("digest %v copied as %v", d1, d2)
	}

	// storage.max_size refuses a pull that does not fit.
	// (404 until node-3 has heard that its peers have the model.)
	eventually(t, "pull onto node-3 refused by storage.max_size", func() error {
		r := call(t, "POST", n3.url("/api/pull"), `{"name": "tinyllama"}`)
		if r.code != 507 {
			return fmt.Errorf("%d %s", r.code, r.body)
		}
		assertJSONError(t, r, 507)
		return nil
	})

	eventually(t, "node-3 sees two replicas", func() error {
		ms := n3.get("/api/distributed/models")["models"].([]interface{})
		if len(ms) != 1 {
			return fmt.Errorf("models %v", ms)
		}
		m := ms[0].(map[string]interface{})
		if m["replicas"] != 2.0 || fmt.Sprint(m["locations"]) != "[node-1 node-2]" || m["status"] != "available" || m["size"] != 1000.0 {
			return fmt.Errorf("model %v", m)
		}
		return nil
	})

	// Round robin through node-3, which lacks the model: both holders serve.
	served := map[string]int{}
	for i := 0; i < 6; i++ {
		r := call(t, "POST", n3.url("/api/generate"), `{"model": "tinyllama", "prompt": "hi", "stream": false}`)
		if r.code != 200 {
			t.Fatalf("generate via node-3: %d %s", r.code, r.body)
		}
		by := r.header.Get(ServedByHeader)
		served[by]++
		if !strings.Contains(fmt.Sprint(r.json(t)["response"]), "Node "+by+" answered") {
			t.Errorf("answer does not name the serving node %s: %s", by, r.body)
		}
	}
	if served["node-1"] == 0 || served["node-2"] == 0 || served["node-3"] != 0 {
		t.Errorf("round robin served %v", served)
	}

	// Streaming through a forward stays NDJSON.
	r := call(t, "POST", n3.url("/api/chat"), `{"model": "tinyllama", "messages": [{"role": "user", "content": "hi"}], "stream": true}`)
	lines := ndjson(t, r.body)
	if r.code != 200 || len(lines) < 3 || lines[len(lines)-1]["done"] != true {
		t.Errorf("forwarded chat stream: %d %d lines", r.code, len(lines))
	}

	// A draining node gets no new work.
	call(t, "POST", n3.url("/api/distributed/nodes/node-1/drain"), "")
	eventually(t, "node-3 sees node-1 draining", func() error {
		if s := nodeStatus(n3.status(), "node-1"); s != "draining" {
			return fmt.Errorf("node-1 is %s", s)
		}
		return nil
	})
	for i := 0; i < 4; i++ {
		r := call(t, "POST", n3.url("/api/generate"), `{"model": "tinyllama", "prompt": "hi", "stream": false}`)
		if by := r.header.Get(ServedByHeader); r.code != 200 || by != "node-2" {
			t.Errorf("with node-1 draining, generate: %d served by %q", r.code, by)
		}
	}
	// With every holder draining the model is known but cannot be served.
	call(t, "POST", n3.url("/api/distributed/nodes/node-2/drain"), "")
	eventually(t, "generate answers 503 when every holder drains", func() error {
		r := call(t, "POST", n3.url("/api/generate"), `{"model": "tinyllama", "prompt": "hi", "stream": false}`)
		if r.code != 503 {
			return fmt.Errorf("%d %s", r.code, r.body)
		}
		assertJSONError(t, r, 503)
		return nil
	})
	call(t, "POST", n3.url("/api/distributed/nodes/node-1/uncordon"), "")
	call(t, "POST", n3.url("/api/distributed/nodes/node-2/uncordon"), "")

	// least_loaded is exercised by the scheduler unit test; deleting the copy
	// on node-2 leaves one replica.
	if r := call(t, "DELETE", n2.url("/api/delete"), `{"name": "tinyllama"}`); r.code != 200 {
		t.Fatalf("delete on node-2: %d", r.code)
	}
	eventually(t, "node-3 sees one replica after delete", func() error {
		m := n3.get("/api/distributed/models")["models"].([]interface{})[0].(map[string]interface{})
		if m["replicas"] != 1.0 {
			return fmt.Errorf("model %v", m)
		}
		return nil
	})
}
