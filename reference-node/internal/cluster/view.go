package cluster

import (
	"sort"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/sysinfo"
)

// Node statuses.
const (
	Online   = "online"
	Offline  = "offline"
	Draining = "draining"
)

// Health verdicts.
const (
	Healthy   = "healthy"
	Degraded  = "degraded"
	Unhealthy = "unhealthy"
)

// Node is the contract's node record as the API returns it.
type Node struct {
	ID           string            `json:"id"`
	Address      string            `json:"address"`
	P2PAddress   string            `json:"p2p_address"`
	Status       string            `json:"status"`
	LastSeen     *time.Time        `json:"last_seen"`
	Tags         map[string]string `json:"tags"`
	Capabilities Capabilities      `json:"capabilities"`
	Metrics      sysinfo.Sample    `json:"metrics"`
}

// Status is the answer of /api/distributed/status.
type Status struct {
	NodeID         string    `json:"node_id"`
	ClusterSize    int       `json:"cluster_size"`
	ExpectedSize   int       `json:"expected_size"`
	ConnectedPeers int       `json:"connected_peers"`
	Leader         string    `json:"leader"`
	IsLeader       bool      `json:"is_leader"`
	Term           uint64    `json:"term"`
	Health         string    `json:"health"`
	LastUpdate     time.Time `json:"last_update"`
	Nodes          []Node    `json:"nodes"`
}

func nodeOf(r Record, online bool, lastSeen time.Time) Node {
	n := Node{
		ID: r.ID, Address: r.Address, P2PAddress: r.P2PAddress,
		Tags: r.Tags, Capabilities: r.Capabilities, Metrics: r.Metrics,
	}
	if n.Tags == nil {
		n.Tags = map[string]string{}
	}
	if n.Capabilities.SupportedModels == nil {
		n.Capabilities.SupportedModels = []string{}
	}
	switch {
	case !online:
		n.Status = Offline
	case r.Drain.Draining:
		n.Status = Draining
	default:
		n.Status = Online
	}
	n.Capabilities.Available = n.Status == Online
	if !lastSeen.IsZero() {
		t := lastSeen.UTC()
		n.LastSeen = &t
	}
	return n
}

// Nodes returns every known node, this one first, then by id.
func (c *Cluster) Nodes() []Node {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	out := []Node{nodeOf(c.self, true, now)}
	ids := make([]string, 0, len(c.members))
	for id := range c.members {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		m := c.members[id]
		out = append(out, nodeOf(m.rec, c.isOnlineLocked(m, now), m.lastHeard))
	}
	return out
}

// Node returns one node by id.
func (c *Cluster) Node(id string) (Node, bool) {
	for _, n := range c.Nodes() {
		if n.ID == id {
			return n, true
		}
	}
	return Node{}, false
}

// Status summarises the cluster as this node sees it.
func (c *Cluster) Status() Status {
	c.mu.Lock()
	c.reconcileLocked(time.Now()) // leader and term as of now, like the sizes
	c.mu.Unlock()
	nodes := c.Nodes()
	c.mu.Lock()
	defer c.mu.Unlock()
	size := 0
	for _, n := range nodes {
		if n.Status != Offline {
			size++
		}
	}
	expected := c.expectedLocked()
	return Status{
		NodeID: c.self.ID, ClusterSize: size, ExpectedSize: expected,
		ConnectedPeers: size - 1, Leader: c.leader, IsLeader: c.leader == c.self.ID,
		Term: c.term, Health: verdict(size, expected), LastUpdate: c.lastUpdate.UTC(),
		Nodes: nodes,
	}
}

func (c *Cluster) expectedLocked() int {
	if c.opts.ExpectedSize > 0 {
		return c.opts.ExpectedSize
	}
	return c.maxSize
}

func verdict(size, expected int) string {
	switch {
	case size >= expected:
		return Healthy
	case 2*size > expected:
		return Degraded
	default:
		return Unhealthy
	}
}

// Health returns the verdict only (cheap path for /health).
func (c *Cluster) Health() string {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	size := 1
	for _, m := range c.members {
		if c.isOnlineLocked(m, now) {
			size++
		}
	}
	return verdict(size, c.expectedLocked())
}

// Leader returns the leader's id, API address and the term.
func (c *Cluster) Leader() (id, address string, term uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reconcileLocked(time.Now())
	id, term = c.leader, c.term
	if id == c.self.ID {
		address = c.self.Address
	} else if m := c.members[id]; m != nil {
		address = m.rec.Address
	}
	return id, address, term
}

// SelfID is this node's id.
func (c *Cluster) SelfID() string { return c.opts.ID }

// SetDrain changes the drain state of any known node; false when the id is
// unknown. The change travels to every member with the next heartbeat.
func (c *Cluster) SetDrain(id string, draining bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	var cur *Drain
	if id == c.self.ID {
		cur = &c.self.Drain
	} else if m := c.members[id]; m != nil {
		cur = &m.rec.Drain
	} else {
		return false
	}
	if cur.Draining == draining {
		return true // idempotent: no new stamp
	}
	stamp := time.Now().UnixNano()
	if stamp <= cur.Stamp {
		stamp = cur.Stamp + 1
	}
	*cur = Drain{Draining: draining, Stamp: stamp, By: c.self.ID}
	if id == c.self.ID {
		c.self.Capabilities.Available = !draining
	}
	c.dirty = true
	c.log.Info("drain state changed", "node_id", id, "draining", draining, "by", c.self.ID)
	return true
}
