package cluster

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestMalformedSavedMembersDropped: a membership state saved by an older
// version may hold members that came from unchecked gossip (an injected
// record without addresses). They are dropped at load, so that this node's
// views stay well formed and its peers do not refuse them.
func TestMalformedSavedMembersDropped(t *testing.T) {
	dir := t.TempDir()
	state := savedState{NodeID: "a", Incarnation: 1, Term: 1, MaxSize: 3, Members: []savedMember{
		{ID: "b", Address: "127.0.0.1:8082", P2PAddress: "127.0.0.1:4002"},
		{ID: "intruder"},
		{ID: "bad id", Address: "127.0.0.1:1", P2PAddress: "127.0.0.1:2"},
		{ID: "c", Address: "127.0.0.1:8084", P2PAddress: "nowhere"},
	}}
	data, _ := json.Marshal(state)
	if err := os.WriteFile(filepath.Join(dir, "membership.json"), data, 0o640); err != nil {
		t.Fatal(err)
	}
	a := newTest("a", dir)
	if len(a.members) != 1 || a.members["b"] == nil {
		t.Fatalf("members after load: %v", a.members)
	}
	a.mu.Lock()
	g := a.gossipLocked()
	a.mu.Unlock()
	if err := g.check(); err != nil {
		t.Errorf("the view of a node loaded from that state is refused: %v", err)
	}
	// The cleaned state is what gets saved next.
	a.save()
	data, _ = os.ReadFile(filepath.Join(dir, "membership.json"))
	var saved savedState
	if json.Unmarshal(data, &saved) != nil || len(saved.Members) != 1 || saved.Members[0].ID != "b" {
		t.Errorf("saved again: %s", data)
	}
}
