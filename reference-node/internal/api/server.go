// Package api serves the node's HTTP API (contract section 3), its p2p
// endpoint and the optional status page.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/auth"
	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
	"github.com/ollama-lab/distributed/reference-node/internal/config"
	"github.com/ollama-lab/distributed/reference-node/internal/logx"
	"github.com/ollama-lab/distributed/reference-node/internal/models"
	"github.com/ollama-lab/distributed/reference-node/internal/sysinfo"
)

// MaxBodyBytes is the largest request body accepted (413 past it).
const MaxBodyBytes = 1 << 20

// Server holds everything the handlers need.
type Server struct {
	cfg     *config.Config
	log     *logx.Logger
	cluster *cluster.Cluster
	store   *models.Store
	auth    *auth.Authenticator
	peers   *cluster.Client
	version string
	started time.Time

	router  router
	limiter *limiter
	prom    *prom
	rate    rateMeter
	stats   stats
	sched   *scheduler
	backend *http.Client  // nil without backend.ollama_url
	active  int64         // inferences running here (atomic)
	running runningModels // what /api/ps lists

	sampleMu  sync.Mutex // guards the resource sample below
	sampler   *sysinfo.Sampler
	sample    sysinfo.Sample
	sampledAt time.Time
}

// Options wires a Server.
type Options struct {
	Config  *config.Config
	Log     *logx.Logger
	Cluster *cluster.Cluster
	Store   *models.Store
	Auth    *auth.Authenticator
	Peers   *cluster.Client
	Version string
}

// New builds the server and its routes.
func New(o Options) *Server {
	if o.Log == nil {
		o.Log = logx.Discard()
	}
	s := &Server{
		cfg: o.Config, log: o.Log, cluster: o.Cluster, store: o.Store, auth: o.Auth,
		peers: o.Peers, version: o.Version, started: time.Now(), prom: newProm(),
	}
	if s.peers == nil {
		s.peers = &cluster.Client{}
	}
	if s.cfg.API.RateLimit.Enabled {
		s.limiter = newLimiter(s.cfg.API.RateLimit.RequestsPerMinute, s.cfg.API.RateLimit.BurstSize)
	}
	if s.cfg.Backend.OllamaURL != "" {
		s.backend = &http.Client{}
	}
	s.sched = newScheduler(s.cfg.Scheduler)
	s.routes()
	return s
}

// Started is when the server was created (uptime origin).
func (s *Server) Started() time.Time { return s.started }

// ActiveInferences is the number of inferences running on this node.
func (s *Server) ActiveInferences() int64 { return atomic.LoadInt64(&s.active) }

func (s *Server) routes() {
	rt := &s.router
	const pub, priv = true, false
	for _, p := range []string{"/health", "/api/v1/health"} {
		rt.handle("GET", p, pub, s.handleHealth)
	}
	for _, p := range []string{"/api/version", "/api/v1/version"} {
		rt.handle("GET", p, pub, s.handleVersion)
	}
	rt.handle("GET", "/", pub, s.handleRoot)
	rt.handle("POST", "/api/v1/auth/token", pub, s.handleToken)
	rt.handle("GET", "/metrics", pub, s.handlePrometheus)
	rt.handle("GET", "/api/v1/metrics", priv, s.handleV1Metrics)
	for _, p := range []string{"/api/distributed/status", "/api/v1/cluster/status"} {
		rt.handle("GET", p, priv, s.handleStatus)
	}
	rt.handle("GET", "/api/v1/cluster/leader", priv, s.handleLeader)
	for _, base := range []string{"/api/distributed/nodes", "/api/v1/nodes"} {
		rt.handle("GET", base, priv, s.handleNodes)
		rt.handle("GET", base+"/{id}", priv, s.handleNode)
		rt.handle("POST", base+"/{id}/drain", priv, s.handleDrain(true))
		rt.handle("POST", base+"/{id}/uncordon", priv, s.handleDrain(false))
		rt.handle("POST", base+"/{id}/undrain", priv, s.handleDrain(false))
	}
	for _, p := range []string{"/api/tags", "/api/v1/models"} {
		rt.handle("GET", p, priv, s.handleTags)
	}
	rt.handle("GET", "/api/distributed/models", priv, s.handleDistributedModels)
	rt.handle("POST", "/api/pull", priv, s.handlePull)
	rt.handle("DELETE", "/api/delete", priv, s.handleDelete)
	rt.handle("POST", "/api/generate", priv, s.handleGenerate)
	rt.handle("POST", "/api/chat", priv, s.handleChat)
	rt.handle("POST", "/api/show", priv, s.handleShow)
	rt.handle("GET", "/api/ps", priv, s.handlePs)
	rt.handle("GET", "/api/distributed/metrics", priv, s.handleDistributedMetrics)
}

// ServeHTTP applies, in order: panic recovery, common headers, CORS and
// preflight, rate limit, routing (404/405), authentication, the JSON
// content type of POST and DELETE (415), body limit and request timeout;
// then the route's handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
	label := "unmatched"
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("handler panic", "path", r.URL.Path, "panic", fmt.Sprint(p))
			if !sw.wrote {
				writeError(sw, http.StatusInternalServerError, "internal server error")
			}
		}
		s.prom.observe(label, sw.code, time.Since(start))
		s.rate.add(start)
		s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "code", sw.code,
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "remote", r.RemoteAddr)
	}()

	h := sw.Header()
	for k, v := range s.cfg.API.Headers { // upstream's api.headers; the contract's headers below win
		h.Set(k, v)
	}
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-XSS-Protection", "0")
	h.Set("Cache-Control", "no-store")

	origin := r.Header.Get("Origin")
	corsOK := origin != "" && s.originAllowed(origin)
	if corsOK {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Allow-Methods", listOr(s.cfg.API.CORS.Methods, "GET, POST, DELETE, OPTIONS"))
		h.Set("Access-Control-Allow-Headers", listOr(s.cfg.API.CORS.Headers, "Authorization, Content-Type"))
		h.Set("Access-Control-Max-Age", "600")
	}
	if r.Method == http.MethodOptions {
		label = "OPTIONS"
		if origin != "" && !corsOK {
			writeError(sw, http.StatusForbidden, "origin not allowed")
			return
		}
		sw.WriteHeader(http.StatusNoContent)
		return
	}

	if s.limiter != nil {
		if wait, ok := s.limiter.allow(clientIP(r), time.Now()); !ok {
			label = "rate_limited"
			h.Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			writeError(sw, http.StatusTooManyRequests, "rate limit exceeded")
			return
		}
	}

	rt, params, allowed := s.router.lookup(r.Method, r.URL.Path)
	if rt == nil {
		if len(allowed) > 0 {
			h.Set("Allow", strings.Join(allowed, ", "))
			writeError(sw, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s", r.Method, r.URL.Path))
			return
		}
		writeError(sw, http.StatusNotFound, "not found: "+r.URL.Path)
		return
	}
	label = rt.pattern

	if !rt.public && s.cfg.Security.EnableAuth {
		if err := s.checkToken(r); err != nil {
			s.authFailed(r, "api", err.Error())
			h.Set("WWW-Authenticate", `Bearer realm="ollama-distributed"`)
			writeError(sw, http.StatusUnauthorized, err.Error())
			return
		}
	}
	// No cross-site "simple request" (text/plain, a form) can change state.
	if (r.Method == http.MethodPost || r.Method == http.MethodDelete) && !isJSONContentType(r.Header.Get("Content-Type")) {
		writeError(sw, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}

	if r.ContentLength > MaxBodyBytes {
		writeError(sw, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", MaxBodyBytes))
		return
	}
	r.Body = http.MaxBytesReader(sw, r.Body, MaxBodyBytes)
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.API.Timeout.D())
	defer cancel()
	r = r.WithContext(context.WithValue(ctx, paramsKey, params))
	rt.h(sw, r)
}

func (s *Server) originAllowed(origin string) bool {
	if !s.cfg.API.CORS.Enabled {
		return false
	}
	for _, o := range s.cfg.API.CORS.Origins {
		o = strings.ToLower(strings.TrimRight(o, "/"))
		if o == "*" || o == strings.ToLower(origin) {
			return true
		}
		// upstream's patterns such as http://localhost:* (any port)
		if ok, _ := path.Match(o, strings.ToLower(origin)); ok && strings.Contains(o, "*") {
			return true
		}
	}
	return false
}

// listOr joins a configured list for a header, or gives the default.
func listOr(list []string, def string) string {
	if len(list) == 0 {
		return def
	}
	return strings.Join(list, ", ")
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// statusWriter records the status code and supports streaming (Flush).
type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.code, w.wrote = code, true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ---- JSON helpers ------------------------------------------------------

type errorBody struct {
	Error     string `json:"error"`
	Timestamp string `json:"timestamp"`
}

func writeJSON(w http.ResponseWriter, code int, v interface{}) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg, Timestamp: time.Now().UTC().Format(time.RFC3339)})
}

// decodeBody reads a JSON object into v; on failure it has written the 4xx
// answer and returns false.
func decodeBody(w http.ResponseWriter, r *http.Request, v interface{}) bool {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		var netErr net.Error
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", MaxBodyBytes))
		} else if errors.As(err, &netErr) && netErr.Timeout() {
			writeError(w, http.StatusRequestTimeout, "request body not received within api.timeout")
		} else {
			writeError(w, http.StatusBadRequest, "cannot read request body")
		}
		return false
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		writeError(w, http.StatusBadRequest, "request body is required")
		return false
	}
	if err := json.Unmarshal(data, v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// goVersion is reported by /api/version.
var goVersion = runtime.Version()
