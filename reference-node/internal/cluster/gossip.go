package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/config"
)

// SecretHeader carries cluster.secret on every p2p request. It is not the
// Authorization header: client API keys and JWTs are never p2p credentials.
const SecretHeader = "X-Ollama-Cluster-Secret"

// maxGossipMembers bounds the member list of one message.
const maxGossipMembers = 4096

// SecretMatches compares a presented secret with the configured one in
// constant time (over SHA-256 digests, so the length does not leak either).
func SecretMatches(want, got string) bool {
	w, g := sha256.Sum256([]byte(want)), sha256.Sum256([]byte(got))
	return subtle.ConstantTimeCompare(w[:], g[:]) == 1 && want != ""
}

// check refuses a malformed view as a whole: a sender, member ids and
// addresses of the right shape, no id twice, the sender's own record among
// the members. Nothing of a refused view is merged.
func (g Gossip) check() error {
	if !config.NodeIDPattern.MatchString(g.From) {
		return fmt.Errorf("from %q is not a node id", g.From)
	}
	if g.Leader != "" && !config.NodeIDPattern.MatchString(g.Leader) {
		return fmt.Errorf("leader %q is not a node id", g.Leader)
	}
	if g.MaxSize < 0 {
		return fmt.Errorf("max_size %d is negative", g.MaxSize)
	}
	if len(g.Members) == 0 || len(g.Members) > maxGossipMembers {
		return fmt.Errorf("%d members (want 1 to %d)", len(g.Members), maxGossipMembers)
	}
	seen := map[string]bool{}
	for i, r := range g.Members {
		if err := validRecord(r.ID, r.Address, r.P2PAddress); err != nil {
			return fmt.Errorf("members[%d]: %v", i, err)
		}
		if seen[r.ID] {
			return fmt.Errorf("members[%d]: id %s listed twice", i, r.ID)
		}
		seen[r.ID] = true
	}
	if !seen[g.From] {
		return fmt.Errorf("the sender %s is not among the members", g.From)
	}
	return nil
}

// validRecord checks the identity and addresses of a member record.
func validRecord(id, address, p2pAddress string) error {
	if !config.NodeIDPattern.MatchString(id) {
		return fmt.Errorf("id %q is not a node id", id)
	}
	for _, a := range []struct{ key, addr string }{{"address", address}, {"p2p_address", p2pAddress}} {
		if !isHostPort(a.addr) {
			return fmt.Errorf("%s %q is not host:port", a.key, a.addr)
		}
	}
	return nil
}

func isHostPort(s string) bool {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return false
	}
	n, err := strconv.Atoi(port)
	return err == nil && n >= 1 && n <= 65535
}

// ServeGossip is the HTTP handler for GossipPath on the p2p listener (behind
// the p2p authentication). A body that is not exactly one well-formed view
// gets 400 and changes nothing.
func (c *Cluster) ServeGossip(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	bad := func(err error) {
		c.log.Warn("malformed gossip refused", "remote", r.RemoteAddr, "error", err.Error())
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{
			"error": "bad gossip: " + err.Error(), "timestamp": time.Now().UTC().Format(time.RFC3339),
		})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		_ = json.NewEncoder(w).Encode(map[string]string{
			"error": "gossip takes POST", "timestamp": time.Now().UTC().Format(time.RFC3339),
		})
		return
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		bad(errors.New("cannot read the body"))
		return
	}
	var g Gossip
	if err := json.Unmarshal(data, &g); err != nil { // one JSON value, nothing after it
		bad(err)
		return
	}
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	resp, err := c.HandleGossip(g, ip)
	if err != nil {
		bad(err)
		return
	}
	_ = json.NewEncoder(w).Encode(resp)
}

// Client talks to peers' p2p endpoints. Secret, when set, goes with every
// request in SecretHeader.
type Client struct {
	HTTP   *http.Client
	Secret string
}

// Do sends a request to a peer and returns the response; the caller closes
// its body. Non-2xx answers are returned as responses, not errors.
func (cl *Client) Do(ctx context.Context, method, addr, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if cl.Secret != "" {
		req.Header.Set(SecretHeader, cl.Secret)
	}
	hc := cl.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	return hc.Do(req)
}

// PostJSON posts body and decodes a 2xx JSON answer into out.
func (cl *Client) PostJSON(ctx context.Context, addr, path string, body []byte, out interface{}) error {
	resp, err := cl.Do(ctx, http.MethodPost, addr, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%s%s: HTTP 401, the peer does not accept this node's cluster.secret", addr, path)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s%s: HTTP %d", addr, path, resp.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(out)
}
