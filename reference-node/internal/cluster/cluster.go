// Package cluster implements membership over the p2p endpoint (node
// contract, section 4).
//
// Every heartbeat each node POSTs its view (all member records, its term and
// leader) to its bootstrap peers and to every member it knows, and merges the
// view it gets back. Members therefore learn each other transitively. A
// member is online while this node has heard from it directly within the
// election timeout. Leadership is sticky: a member keeps its leader while
// that leader is online in its view and otherwise adopts the leader an
// online peer reports with the highest term (ties: a choice made with a
// quorum, then the lower id), if that leader is online. With none in view, a
// member that sees a majority of the expected size elects the lowest online
// id with a term above every term heard; one that does not names the lowest
// online id without raising the term, marked provisional, so that the
// majority's leader wins when a partition heals. A member waits (no leader)
// instead of electing while an online peer follows a leader it has not
// heard, and during its first election timeout while a known member has not
// answered yet.
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/logx"
	"github.com/ollama-lab/distributed/reference-node/internal/sysinfo"
)

// GossipPath is the p2p route used for membership exchange.
const GossipPath = "/p2p/v1/gossip"

// Capabilities is the capability block of a node record.
type Capabilities struct {
	CPUCores        int      `json:"cpu_cores"`
	Memory          int64    `json:"memory"`
	Storage         int64    `json:"storage"`
	SupportedModels []string `json:"supported_models"`
	Available       bool     `json:"available"`
	LoadFactor      float64  `json:"load_factor"`
}

// Drain is the drain state of a member. Any node may change it (drain via
// any node's API); the newest stamp wins when views are merged.
type Drain struct {
	Draining bool   `json:"draining"`
	Stamp    int64  `json:"stamp"`
	By       string `json:"by,omitempty"`
}

func (d Drain) newerThan(o Drain) bool {
	return d.Stamp > o.Stamp || (d.Stamp == o.Stamp && d.By > o.By)
}

// Record is what members gossip about each other. The owner bumps Version
// every heartbeat; Incarnation changes at every process start.
type Record struct {
	ID           string            `json:"id"`
	Address      string            `json:"address"`
	P2PAddress   string            `json:"p2p_address"`
	Incarnation  int64             `json:"incarnation"`
	Version      uint64            `json:"version"`
	Tags         map[string]string `json:"tags"`
	Capabilities Capabilities      `json:"capabilities"`
	Metrics      sysinfo.Sample    `json:"metrics"`
	Drain        Drain             `json:"drain"`
}

// Gossip is the message exchanged on GossipPath, in both directions.
type Gossip struct {
	From   string `json:"from"`
	Term   uint64 `json:"term"`
	Leader string `json:"leader"`
	// Provisional: the leader was chosen without a quorum (see
	// reconcileLocked); a member with a quorum does not adopt it.
	Provisional bool     `json:"provisional,omitempty"`
	MaxSize     int      `json:"max_size"`
	Members     []Record `json:"members"`
}

// Local is fresh information about this node, asked for every heartbeat.
type Local struct {
	Capabilities Capabilities
	Metrics      sysinfo.Sample
}

// Options configure a Cluster.
type Options struct {
	ID, Address, P2PAddress string
	Tags                    map[string]string
	Bootstrap               []string // p2p addresses to contact
	Heartbeat               time.Duration
	ElectionTimeout         time.Duration
	ExpectedSize            int    // 0: largest size seen
	StateDir                string // consensus.data_dir
	Log                     *logx.Logger
	Local                   func() Local // may be nil
	Client                  *Client
}

type member struct {
	rec       Record
	lastHeard time.Time // last direct contact; zero if never
	online    bool      // as of the last reconcile, for transition logs
}

type report struct {
	term        uint64
	leader      string
	provisional bool
}

// Cluster is this node's view of the membership.
type Cluster struct {
	opts Options
	log  *logx.Logger

	mu          sync.Mutex
	self        Record
	members     map[string]*member // every other known node, by id
	reports     map[string]report  // latest term/leader each peer told us
	term        uint64
	leader      string
	provisional bool // leader chosen without a quorum
	started     time.Time
	maxSize     int
	lastUpdate  time.Time
	selfAddrs   map[string]bool // addresses that turned out to be us
	inflight    map[string]bool // addresses with a gossip request running
	unreached   map[string]bool // addresses whose last gossip failed (logged once)
	clashes     map[string]bool // addresses of other nodes with our id (logged once each)
	dirty       bool            // persistent state changed
}

// New builds a Cluster and loads the persisted membership, if any.
func New(o Options) *Cluster {
	if o.Log == nil {
		o.Log = logx.Discard()
	}
	if o.Client == nil {
		o.Client = &Client{}
	}
	c := &Cluster{
		opts: o,
		log:  o.Log,
		self: Record{
			ID: o.ID, Address: o.Address, P2PAddress: o.P2PAddress,
			Incarnation: time.Now().UnixNano(), Tags: o.Tags,
		},
		members:    map[string]*member{},
		reports:    map[string]report{},
		selfAddrs:  map[string]bool{o.P2PAddress: true},
		inflight:   map[string]bool{},
		unreached:  map[string]bool{},
		maxSize:    1,
		lastUpdate: time.Now(),
		started:    time.Now(),
	}
	if c.self.Tags == nil {
		c.self.Tags = map[string]string{}
	}
	c.load()
	c.refreshLocal()
	return c
}

// Run gossips every heartbeat until ctx ends, then saves the state.
func (c *Cluster) Run(ctx context.Context) {
	t := time.NewTicker(c.opts.Heartbeat)
	defer t.Stop()
	for {
		c.Tick(ctx)
		select {
		case <-ctx.Done():
			c.save()
			return
		case <-t.C:
		}
	}
}

// JoinNow contacts the bootstrap peers and known members once and waits
// (bounded) for their answers, so a starting node knows the cluster before
// it first computes a leader.
func (c *Cluster) JoinNow(ctx context.Context) {
	c.refreshLocal()
	var wg sync.WaitGroup
	c.send(ctx, &wg)
	wg.Wait()
	c.mu.Lock()
	c.reconcileLocked(time.Now())
	c.mu.Unlock()
}

// Tick is one heartbeat: refresh our record, re-evaluate, send our view.
func (c *Cluster) Tick(ctx context.Context) {
	c.refreshLocal()
	c.mu.Lock()
	c.reconcileLocked(time.Now())
	c.mu.Unlock()
	c.send(ctx, nil)
	c.save()
}

// refreshLocal asks for fresh capabilities and bumps our record's version.
func (c *Cluster) refreshLocal() {
	var l Local
	if c.opts.Local != nil {
		l = c.opts.Local()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.self.Version++
	c.self.Capabilities = l.Capabilities
	c.self.Metrics = l.Metrics
	if l.Capabilities.SupportedModels == nil {
		c.self.Capabilities.SupportedModels = []string{}
	}
	c.self.Capabilities.Available = !c.self.Drain.Draining
}

// RefreshSelf makes a change of this node (models, load) visible at once.
func (c *Cluster) RefreshSelf() { c.refreshLocal() }

// send posts our view to every target. With wg, the caller can wait for the
// answers; without, requests run in the background (one per address).
func (c *Cluster) send(ctx context.Context, wg *sync.WaitGroup) {
	c.mu.Lock()
	msg := c.gossipLocked()
	targets := c.targetsLocked()
	for _, a := range targets {
		c.inflight[a] = true
	}
	c.mu.Unlock()
	timeout := c.opts.ElectionTimeout / 2
	if timeout > 2*time.Second {
		timeout = 2 * time.Second
	}
	body, _ := json.Marshal(msg)
	for _, addr := range targets {
		if wg != nil {
			wg.Add(1)
		}
		go func(addr string) {
			if wg != nil {
				defer wg.Done()
			}
			defer func() {
				c.mu.Lock()
				delete(c.inflight, addr)
				c.mu.Unlock()
			}()
			rctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			var resp Gossip
			err := c.opts.Client.PostJSON(rctx, addr, GossipPath, body, &resp)
			if err == nil {
				err = c.receive(resp, addr, "")
			}
			c.noteReach(addr, err)
		}(addr)
	}
}

// noteReach logs when contacting a peer address starts or stops failing:
// once per change, so an unresolvable or firewalled bootstrap entry is seen
// at the default log level without a line every heartbeat.
func (c *Cluster) noteReach(addr string, err error) {
	c.mu.Lock()
	was := c.unreached[addr]
	if err != nil {
		c.unreached[addr] = true
	} else {
		delete(c.unreached, addr)
	}
	c.mu.Unlock()
	switch {
	case err != nil && !was:
		c.log.Warn("cannot reach peer", "peer", addr, "error", err.Error())
	case err != nil:
		c.log.Debug("gossip failed", "peer", addr, "error", err.Error())
	case was:
		c.log.Info("peer reachable again", "peer", addr)
	}
}

// targetsLocked lists the p2p addresses to contact this heartbeat.
func (c *Cluster) targetsLocked() []string {
	set := map[string]bool{}
	for _, b := range c.opts.Bootstrap {
		set[b] = true
	}
	for _, m := range c.members {
		if m.rec.P2PAddress != "" {
			set[m.rec.P2PAddress] = true
		}
	}
	var out []string
	for a := range set {
		if !c.selfAddrs[a] && !c.inflight[a] {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

func (c *Cluster) gossipLocked() Gossip {
	g := Gossip{From: c.self.ID, Term: c.term, Leader: c.leader, Provisional: c.provisional, MaxSize: c.maxSize}
	g.Members = append(g.Members, c.self)
	for _, m := range c.members {
		g.Members = append(g.Members, m.rec)
	}
	return g
}

// HandleGossip merges an incoming view and returns ours. remoteIP fills in
// the sender's host when it advertises an unspecified one (0.0.0.0). A
// malformed view is refused whole (the error says why) and changes nothing.
func (c *Cluster) HandleGossip(g Gossip, remoteIP string) (Gossip, error) {
	if err := c.receive(g, "", remoteIP); err != nil {
		return Gossip{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gossipLocked(), nil
}

// receive merges a view heard directly from g.From (dialed at addr, or
// calling us from remoteIP). A malformed view changes nothing.
func (c *Cluster) receive(g Gossip, addr, remoteIP string) error {
	if err := g.check(); err != nil {
		return err
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if g.From == c.self.ID {
		// Our own address (e.g. listed in p2p.bootstrap), or another process
		// using our id.
		for _, r := range g.Members {
			if r.ID == c.self.ID && r.Incarnation != c.self.Incarnation {
				other := r.P2PAddress
				if addr != "" {
					other = addr
				}
				if c.clashes == nil {
					c.clashes = map[string]bool{}
				}
				if !c.clashes[other] {
					c.clashes[other] = true
					c.log.Error("another node uses this node id; give every node its own node.id",
						"node_id", c.self.ID, "address", c.self.P2PAddress, "other_address", other)
				}
			}
		}
		if addr != "" {
			c.selfAddrs[addr] = true
		}
		return nil
	}
	for _, r := range g.Members {
		if r.ID == g.From && remoteIP != "" {
			r.Address = fixHost(r.Address, remoteIP)
			r.P2PAddress = fixHost(r.P2PAddress, remoteIP)
		}
		c.mergeLocked(r)
	}
	if m := c.members[g.From]; m != nil {
		m.lastHeard = now
	}
	c.reports[g.From] = report{g.Term, g.Leader, g.Provisional}
	if g.MaxSize > c.maxSize {
		c.maxSize = g.MaxSize
		c.dirty = true
	}
	c.reconcileLocked(now)
	return nil
}

// mergeLocked folds one record into our view: the owner's newest version
// wins for everything but drain, which goes by its own stamp.
func (c *Cluster) mergeLocked(r Record) {
	if r.ID == "" {
		return
	}
	if r.ID == c.self.ID {
		if r.Drain.newerThan(c.self.Drain) {
			c.self.Drain = r.Drain
			c.self.Capabilities.Available = !r.Drain.Draining
			c.dirty = true
			c.log.Info("drain state changed", "node_id", c.self.ID, "draining", r.Drain.Draining, "by", r.Drain.By)
		}
		return
	}
	m, ok := c.members[r.ID]
	if !ok {
		if r.Tags == nil {
			r.Tags = map[string]string{}
		}
		c.members[r.ID] = &member{rec: r}
		c.dirty = true
		c.log.Info("discovered member", "member", r.ID, "p2p_address", r.P2PAddress)
		return
	}
	drain := m.rec.Drain
	if r.Drain.newerThan(drain) {
		drain = r.Drain
		c.dirty = true
	}
	if r.Incarnation > m.rec.Incarnation || (r.Incarnation == m.rec.Incarnation && r.Version > m.rec.Version) {
		if r.P2PAddress != m.rec.P2PAddress || r.Address != m.rec.Address {
			c.dirty = true
		}
		if r.Tags == nil {
			r.Tags = map[string]string{}
		}
		m.rec = r
	}
	m.rec.Drain = drain
}

func (c *Cluster) isOnlineLocked(m *member, now time.Time) bool {
	return !m.lastHeard.IsZero() && now.Sub(m.lastHeard) < c.opts.ElectionTimeout
}

// reconcileLocked recomputes liveness, the largest size, leader and term
// (the rule is in the package comment). Every member ranks the same
// candidates alike, so they converge on one leader; a leader that stays
// online is never replaced except by a choice of a higher term.
func (c *Cluster) reconcileLocked(now time.Time) {
	c.lastUpdate = now
	online := []string{c.self.ID}
	for id, m := range c.members {
		on := c.isOnlineLocked(m, now)
		if on != m.online {
			if on {
				c.log.Info("member online", "member", id)
			} else {
				c.log.Warn("member offline", "member", id, "silent_for", now.Sub(m.lastHeard).Round(time.Millisecond).String())
			}
			m.online = on
		}
		if on {
			online = append(online, id)
		}
	}
	sort.Strings(online)
	if len(online) > c.maxSize {
		c.maxSize = len(online)
		c.dirty = true
	}
	// Quorum as health counts it: a majority of the expected size.
	quorum := 2*len(online) > c.expectedLocked()
	isOnline := map[string]bool{}
	for _, id := range online {
		isOnline[id] = true
	}

	// Candidates: our own leader and every online peer's, if that leader is
	// online in our view. With a quorum, choices made without one are not
	// candidates (a node that was cut off does not bring back its pick).
	var best candidate
	found := false
	consider := func(x candidate) {
		if x.leader == "" || !isOnline[x.leader] || (quorum && x.provisional) {
			return
		}
		if !found || x.beats(best) {
			best, found = x, true
		}
	}
	consider(candidate{c.term, c.leader, c.provisional})
	maxSeen := c.term
	hearsay := false // an online peer follows a leader we have not heard
	for id, r := range c.reports {
		if m := c.members[id]; m == nil || !m.online {
			continue
		}
		if r.term > maxSeen {
			maxSeen = r.term
		}
		consider(candidate{r.term, r.leader, r.provisional})
		if r.leader != "" && !r.provisional && !isOnline[r.leader] {
			hearsay = true
		}
	}

	var next candidate
	switch {
	case found:
		// Keep or adopt the best leader in view, with its term. A term is
		// never reused for another leader: adopting one of a lower term than
		// ours (a peer that started afresh) or, at our term, another leader
		// than ours (two elections met) takes term+1, which the others then
		// adopt. At our term, replacing a choice made without quorum, or no
		// leader (just started, or waiting), is no change of the term.
		// Without a quorum the term is never raised: the choice is kept at
		// our term, marked as made without a quorum.
		next = best
		if best.term < c.term || (best.term == c.term && best.leader != c.leader && c.leader != "" && !c.provisional) {
			next.term = c.term
			if quorum {
				next.term++
			} else {
				next.provisional = true
			}
		}
	case quorum && (hearsay || c.joiningLocked(now)):
		// A peer follows a leader we do not see (yet: we have just started
		// or reconnected and heard that peer first, or the peer has not
		// noticed the leader's death yet). No leader until that settles,
		// rather than an election that would beat the peer's leader. The
		// same for one election timeout after the start while a known member
		// has not been heard yet (it may be a leader that stayed up). An
		// empty leader is no candidate and no hearsay for the others.
		next = candidate{c.term, "", false}
	case quorum:
		// No leader in view: elect the lowest online id, above every term
		// heard.
		next = candidate{maxSeen + 1, online[0], false}
	default:
		// No leader in view and no quorum: name one so that the node answers,
		// but without raising the term, and marked so that the majority's
		// leader wins when the partition heals.
		next = candidate{c.term, online[0], true}
	}
	if next != (candidate{c.term, c.leader, c.provisional}) {
		if next.leader != c.leader {
			c.log.Info("leader changed", "leader", next.leader, "previous", c.leader, "term", next.term, "quorum", !next.provisional)
		}
		c.term, c.leader, c.provisional = next.term, next.leader, next.provisional
		c.dirty = true
	}
}

// joiningLocked: within one election timeout of the start, a known member
// has not been heard from yet.
func (c *Cluster) joiningLocked(now time.Time) bool {
	if now.Sub(c.started) >= c.opts.ElectionTimeout {
		return false
	}
	for _, m := range c.members {
		if m.lastHeard.IsZero() {
			return true
		}
	}
	return false
}

// candidate is a leader choice: ours or one a peer reported.
type candidate struct {
	term        uint64
	leader      string
	provisional bool // chosen without a quorum
}

// beats ranks choices: the higher term, then one made with a quorum, then
// the lower leader id.
func (x candidate) beats(y candidate) bool {
	if x.term != y.term {
		return x.term > y.term
	}
	if x.provisional != y.provisional {
		return !x.provisional
	}
	return x.leader < y.leader
}

// fixHost replaces an empty or unspecified host by ip.
func fixHost(addr, ip string) string {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if parsed := net.ParseIP(h); h == "" || (parsed != nil && parsed.IsUnspecified()) {
		return net.JoinHostPort(ip, p)
	}
	return addr
}

// ---- persistence -------------------------------------------------------

type savedMember struct {
	ID         string `json:"id"`
	Address    string `json:"address"`
	P2PAddress string `json:"p2p_address"`
	Drain      Drain  `json:"drain"`
}

type savedState struct {
	NodeID      string        `json:"node_id"`
	Incarnation int64         `json:"incarnation"`
	Term        uint64        `json:"term"`
	MaxSize     int           `json:"max_size"`
	Drain       Drain         `json:"drain"`
	Members     []savedMember `json:"members"`
}

func (c *Cluster) statePath() string {
	if c.opts.StateDir == "" {
		return ""
	}
	return filepath.Join(c.opts.StateDir, "membership.json")
}

// load restores known members, term, largest size and drain state so a
// restarted node rejoins as itself and knows whom to call.
func (c *Cluster) load() {
	p := c.statePath()
	if p == "" {
		return
	}
	data, err := os.ReadFile(p)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			c.log.Warn("cannot read membership state", "file", p, "error", err)
		}
		return
	}
	var s savedState
	if err := json.Unmarshal(data, &s); err != nil || s.NodeID != c.self.ID {
		c.log.Warn("ignoring membership state of another node or unreadable", "file", p)
		return
	}
	c.term, c.self.Drain = s.Term, s.Drain
	// A new incarnation must beat the old one even if the clock went back.
	if s.Incarnation >= c.self.Incarnation {
		c.self.Incarnation = s.Incarnation + 1
	}
	c.dirty = true // record this incarnation
	if s.MaxSize > c.maxSize {
		c.maxSize = s.MaxSize
	}
	for _, m := range s.Members {
		if m.ID == c.self.ID {
			continue
		}
		// A record that peers would refuse (saved by an older version, which
		// took unchecked gossip) would make them refuse our whole view.
		if err := validRecord(m.ID, m.Address, m.P2PAddress); err != nil || c.members[m.ID] != nil {
			c.log.Warn("ignoring a malformed member in the membership state", "file", p, "member", m.ID)
			c.dirty = true
			continue
		}
		c.members[m.ID] = &member{rec: Record{ID: m.ID, Address: m.Address, P2PAddress: m.P2PAddress, Drain: m.Drain, Tags: map[string]string{}}}
	}
}

// save writes the state when it changed (temp file + rename).
func (c *Cluster) save() {
	c.mu.Lock()
	if !c.dirty || c.statePath() == "" {
		c.mu.Unlock()
		return
	}
	s := savedState{NodeID: c.self.ID, Incarnation: c.self.Incarnation, Term: c.term, MaxSize: c.maxSize, Drain: c.self.Drain}
	for _, m := range c.members {
		s.Members = append(s.Members, savedMember{m.rec.ID, m.rec.Address, m.rec.P2PAddress, m.rec.Drain})
	}
	c.dirty = false
	c.mu.Unlock()
	sort.Slice(s.Members, func(i, j int) bool { return s.Members[i].ID < s.Members[j].ID })
	data, _ := json.MarshalIndent(s, "", "  ")
	p := c.statePath()
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, data, 0o640); err != nil {
		c.log.Warn("cannot save membership state", "file", p, "error", err)
		return
	}
	if err := os.Rename(tmp, p); err != nil {
		c.log.Warn("cannot save membership state", "file", p, "error", err)
	}
}
