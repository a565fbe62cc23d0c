package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
	"github.com/ollama-lab/distributed/reference-node/internal/config"
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
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// streaming follows Ollama: a request streams unless it says stream: false.
func streaming(p *bool) bool { return p == nil || *p }

// ---- scheduler ---------------------------------------------------------

type scheduler struct {
	algorithm string
	slots     chan struct{} // one per worker
	maxWait   int64         // queue_size
	waiting   int64         // atomic
	next      uint64        // atomic, round robin position
}

var errQueueFull = errors.New("inference queue is full")

func newScheduler(c config.Scheduler) *scheduler {
	return &scheduler{algorithm: c.Algorithm, slots: make(chan struct{}, c.WorkerCount), maxWait: int64(c.QueueSize)}
}

// order returns the candidates in the order they should be tried.
func (sc *scheduler) order(cands []cluster.Node, self string) []cluster.Node {
	out := append([]cluster.Node(nil), cands...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) < 2 {
		return out
	}
	if sc.algorithm == "least_loaded" {
		sort.SliceStable(out, func(i, j int) bool {
			li, lj := out[i].Capabilities.LoadFactor, out[j].Capabilities.LoadFactor
			if li != lj {
				return li < lj
			}
			return out[i].ID == self && out[j].ID != self // prefer no network hop
		})
		return out
	}
	k := int(atomic.AddUint64(&sc.next, 1)-1) % len(out)
	return append(out[k:], out[:k]...)
}

// acquire waits for a worker slot; it fails at once when queue_size
// requests are already waiting.
func (sc *scheduler) acquire(ctx context.Context) (func(), error) {
	select {
	case sc.slots <- struct{}{}:
		return func() { <-sc.slots }, nil
	default:
	}
	if atomic.AddInt64(&sc.waiting, 1) > sc.maxWait {
		atomic.AddInt64(&sc.waiting, -1)
		return nil, errQueueFull
	}
	defer atomic.AddInt64(&sc.waiting, -1)
	select {
	case sc.slots <- struct{}{}:
		return func() { <-sc.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

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

// relay copies an upstream answer (status, type, body), flushing as it goes
// so NDJSON streams stay streams.
func relay(w http.ResponseWriter, resp *http.Response) {
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	if n := resp.Header.Get(ServedByHeader); n != "" {
		w.Header().Set(ServedByHeader, n)
	}
	w.WriteHeader(resp.StatusCode)
	f, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if f != nil {
				f.Flush()
			}
		}
		if err != nil {
			return
		}
	}
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
		s.runBackend(w, r, kind, raw)
		return
	}
	model := models.Normalize(req.Model)
	if _, err := s.store.Get(model); err != nil {
		s.stats.inference(false, 0)
		writeError(w, http.StatusNotFound, fmt.Sprintf("model %q not found on node %s", model, s.cluster.SelfID()))
		return
	}
	s.runBuiltin(w, kind, model, req)
}

func (s *Server) runBackend(w http.ResponseWriter, r *http.Request, kind string, raw []byte) {
	url := strings.TrimRight(s.cfg.Backend.OllamaURL, "/") + "/api/" + kind
	breq, err := http.NewRequestWithContext(r.Context(), http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot build backend request")
		return
	}
	breq.Header.Set("Content-Type", "application/json")
	resp, err := s.backend.Do(breq)
	if err != nil {
		s.stats.inference(false, 0)
		s.log.Error("backend request failed", "url", url, "error", err)
		writeError(w, http.StatusBadGateway, "backend Ollama server unreachable")
		return
	}
	defer resp.Body.Close()
	s.stats.inference(resp.StatusCode == http.StatusOK, 0)
	relay(w, resp)
}

// builtinWords is the deterministic answer of the built-in generator. It
// says plainly that no model ran.
func builtinWords(model, node, prompt string, limit int) []string {
	sum := sha256.Sum256([]byte(model + "\x00" + prompt))
	text := fmt.Sprintf("[reference generator] Node %s answered for model %s without running any model. "+
		"The prompt had %d words and fingerprint %s.", node, model, len(strings.Fields(prompt)), hex.EncodeToString(sum[:4]))
	words := strings.SplitAfter(text, " ")
	if limit > 0 && limit < len(words) {
		words = words[:limit]
	}
	return words
}

func (s *Server) runBuiltin(w http.ResponseWriter, kind, model string, req *inferRequest) {
	start := time.Now()
	prompt := req.System + " " + req.Prompt
	for _, m := range req.Messages {
		prompt += " " + m.Content
	}
	words := builtinWords(model, s.cluster.SelfID(), req.Prompt+lastUser(req.Messages), req.Options.NumPredict)
	promptTokens := len(strings.Fields(prompt))
	s.stats.inference(true, promptTokens+len(words))

	chunk := func(text string, done bool) map[string]interface{} {
		m := map[string]interface{}{
			"model":      model,
			"created_at": time.Now().UTC().Format(time.RFC3339Nano),
			"done":       done,
		}
		if kind == "chat" {
			m["message"] = chatMessage{Role: "assistant", Content: text}
		} else {
			m["response"] = text
		}
		if done {
			total := time.Since(start)
			m["done_reason"] = "stop"
			m["total_duration"] = total.Nanoseconds()
			m["load_duration"] = 0
			m["prompt_eval_count"] = promptTokens
			m["prompt_eval_duration"] = total.Nanoseconds() / 4
			m["eval_count"] = len(words)
			m["eval_duration"] = total.Nanoseconds() - total.Nanoseconds()/4
		}
		return m
	}
	if !streaming(req.Stream) {
		writeJSON(w, http.StatusOK, chunk(strings.Join(words, ""), true))
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	f, _ := w.(http.Flusher)
	for _, word := range words {
		if enc.Encode(chunk(word, false)) != nil {
			return
		}
		if f != nil {
			f.Flush()
		}
	}
	_ = enc.Encode(chunk("", true))
}

func lastUser(msgs []chatMessage) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return msgs[i].Content
		}
	}
	return ""
}
