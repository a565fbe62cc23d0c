package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
	"github.com/ollama-lab/distributed/reference-node/internal/models"
)

// ServedByHeader names the node that ran an inference.
const ServedByHeader = "X-Ollama-Distributed-Node"

// inferRequest holds the fields of Ollama's generate and chat requests the
// node looks at; the raw body is what gets forwarded.
type inferRequest struct {
	Model    string        `json:"model"`
	Prompt   string        `json:"prompt"`
	System   string        `json:"system"`
	Messages []chatMessage `json:"messages"`
	Stream   *bool         `json:"stream"`
	Options  struct {
		NumPredict int `json:"num_predict"`
	} `json:"options"`
	// KeepAlive is how long the model stays listed by /api/ps after the
	// request: seconds as a number or a Go duration string, as in Ollama.
	KeepAlive json.RawMessage `json:"keep_alive"`
	keepAlive time.Duration
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// streaming follows Ollama for pulls: a request streams unless it says
// stream: false.
func streaming(p *bool) bool { return p == nil || *p }

// inferStreams is the rule for generate and chat (contract section 3, as
// upstream answers): NDJSON only with stream: true; without a stream field
// or with stream: false the answer is one JSON object.
func inferStreams(p *bool) bool { return p != nil && *p }

// ---- counters for /api/distributed/metrics -----------------------------

type stats struct {
	mu                                        sync.Mutex
	total, local, distributed, failed         uint64
	latencyMs                                 float64
	inferences, failedInferences, tokensTotal uint64
}

func (st *stats) request(kind string, d time.Duration) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.total++
	switch kind {
	case "local":
		st.local++
	case "distributed":
		st.distributed++
	default:
		st.failed++
	}
	st.latencyMs += float64(d.Microseconds()) / 1000
}

func (st *stats) inference(ok bool, tokens int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.inferences++
	if !ok {
		st.failedInferences++
	}
	st.tokensTotal += uint64(tokens)
}

// handleDistributedMetrics answers with upstream's SystemMetrics fields
// (usage typed as in a node record) plus the integration and inference
// counters. active_models counts the models this node can serve.
func (s *Server) handleDistributedMetrics(w http.ResponseWriter, r *http.Request) {
	m := s.LocalInfo().Metrics
	models := len(s.store.List())
	st := &s.stats
	st.mu.Lock()
	avg, errRate := 0.0, 0.0
	if st.total > 0 {
		avg = st.latencyMs / float64(st.total)
		errRate = float64(st.failed) / float64(st.total)
	}
	body := map[string]interface{}{
		"timestamp":         time.Now().UTC().Format(time.RFC3339),
		"node_id":           s.cfg.Node.ID,
		"cpu_usage":         m.CPUUsage,
		"memory_usage":      m.MemoryUsage,
		"disk_usage":        m.DiskUsage,
		"memory_percent":    m.MemoryPercent,
		"disk_percent":      m.DiskPercent,
		"network_rx":        m.NetworkRX,
		"network_tx":        m.NetworkTX,
		"active_models":     models,
		"active_inferences": s.ActiveInferences(),
		"requests_per_sec":  s.rate.perSecond(time.Now(), s.started),
		"avg_response_time": float64(int64(avg*1000)) / 1000,
		"error_rate":        float64(int64(errRate*10000)) / 10000,
		"integration": map[string]interface{}{
			"total_requests":       st.total,
			"local_requests":       st.local,
			"distributed_requests": st.distributed,
			"failed_requests":      st.failed,
			"average_latency_ms":   float64(int64(avg*1000)) / 1000,
		},
		"inference": map[string]interface{}{
			"total_inferences":       st.inferences,
			"failed_inferences":      st.failedInferences,
			"total_tokens_processed": st.tokensTotal,
		},
	}
	st.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// ---- generate and chat -------------------------------------------------

func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request) { s.infer(w, r, "generate") }
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request)     { s.infer(w, r, "chat") }

// readInfer reads the raw body and the fields the node needs.
func readInfer(w http.ResponseWriter, r *http.Request) ([]byte, *inferRequest, bool) {
	var raw json.RawMessage
	if !decodeBody(w, r, &raw) {
		return nil, nil, false
	}
	var req inferRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid request: "+err.Error())
		return nil, nil, false
	}
	if strings.TrimSpace(req.Model) == "" {
		writeError(w, http.StatusBadRequest, "model is required")
		return nil, nil, false
	}
	ka, err := parseKeepAlive(req.KeepAlive)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid keep_alive: "+err.Error())
		return nil, nil, false
	}
	req.keepAlive = ka
	return raw, &req, true
}

// infer places a generate or chat request: on this node, or forwarded over
// p2p to the node the scheduler picks.
func (s *Server) infer(w http.ResponseWriter, r *http.Request, kind string) {
	start := time.Now()
	raw, req, ok := readInfer(w, r)
	if !ok {
		return
	}
	model := models.Normalize(req.Model)
	cands, known := s.candidates(model)
	if len(cands) == 0 {
		s.stats.request("failed", time.Since(start))
		if known {
			writeError(w, http.StatusServiceUnavailable, "no online, non-draining node can serve model "+model)
		} else {
			writeError(w, http.StatusNotFound, fmt.Sprintf("model %q not found, try pulling it first", model))
		}
		return
	}
	self := s.cluster.SelfID()
	for _, n := range s.sched.order(cands, self) {
		if n.ID == self {
			s.runLocal(w, r, kind, req, raw)
			s.stats.request("local", time.Since(start))
			return
		}
		if s.forward(w, r, n, kind, raw) {
			s.stats.request("distributed", time.Since(start))
			return
		}
	}
	s.stats.request("failed", time.Since(start))
	writeError(w, http.StatusServiceUnavailable, "every node that has model "+model+" failed to answer")
}

// candidates lists online, non-draining nodes that have the model; known
// tells whether any node at all (even offline or draining) has it.
func (s *Server) candidates(model string) (out []cluster.Node, known bool) {
	self := s.cluster.SelfID()
	for _, n := range s.cluster.Nodes() {
		has := false
		if n.ID == self {
			_, err := s.store.Get(model)
			has = err == nil
		} else {
			for _, m := range n.Capabilities.SupportedModels {
				has = has || m == model
			}
		}
		if !has {
			continue
		}
		known = true
		if n.Status == cluster.Online {
			out = append(out, n)
		}
	}
	return out, known
}

// forward sends the request to a peer's p2p endpoint and relays the answer.
// It returns false, having written nothing, when the peer could not take it.
func (s *Server) forward(w http.ResponseWriter, r *http.Request, n cluster.Node, kind string, raw []byte) bool {
	resp, err := s.peers.Do(r.Context(), http.MethodPost, n.P2PAddress, "/p2p/v1/"+kind, raw)
	if err != nil {
		s.log.Warn("forward failed", "peer", n.ID, "error", err)
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusNotFound {
		s.log.Info("peer declined inference", "peer", n.ID, "code", resp.StatusCode)
		return false
	}
	relay(w, resp)
	return true
}

// runLocal performs an inference on this node: through the backend when one
// is configured, else with the built-in generator.
func (s *Server) runLocal(w http.ResponseWriter, r *http.Request, kind string, req *inferRequest, raw []byte) {
	release, err := s.sched.acquire(r.Context())
	if err != nil {
		s.stats.inference(false, 0)
		writeError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	defer release()
	atomic.AddInt64(&s.active, 1)
	defer atomic.AddInt64(&s.active, -1)
	w.Header().Set(ServedByHeader, s.cluster.SelfID())

	if s.backend != nil {
		s.runBackend(w, r, kind, req, raw)
		return
	}
	model := models.Normalize(req.Model)
	mf, err := s.store.Get(model)
	if err != nil {
		s.stats.inference(false, 0)
		writeError(w, http.StatusNotFound, fmt.Sprintf("model %q not found on node %s", model, s.cluster.SelfID()))
		return
	}
	s.runBuiltin(w, kind, mf, req)
}
