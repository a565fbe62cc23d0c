package api

import (
	"fmt"
	"html/template"
	"net/http"
	"runtime"
	"sync"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/auth"
	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
	"github.com/ollama-lab/distributed/reference-node/internal/sysinfo"
)

// P2PHandler serves the node-to-node endpoint: gossip, manifests and
// inferences forwarded by peers. With authentication on, peers must present
// a token signed with the shared JWT secret (PeerToken makes one).
func (s *Server) P2PHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not found: "+r.URL.Path)
	})
	mux.HandleFunc(cluster.GossipPath, s.cluster.ServeGossip)
	mux.HandleFunc(manifestPath, func(w http.ResponseWriter, r *http.Request) {
		mf, err := s.store.Get(r.URL.Query().Get("name"))
		if err != nil {
			writeError(w, http.StatusNotFound, "model not found")
			return
		}
		writeJSON(w, http.StatusOK, mf)
	})
	for _, kind := range []string{"generate", "chat"} {
		kind := kind
		mux.HandleFunc("/p2p/v1/"+kind, func(w http.ResponseWriter, r *http.Request) {
			if n, ok := s.cluster.Node(s.cluster.SelfID()); ok && n.Status == cluster.Draining {
				writeError(w, http.StatusServiceUnavailable, "node is draining")
				return
			}
			raw, req, ok := readInfer(w, r)
			if !ok {
				return
			}
			s.runLocal(w, r, kind, req, raw)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("p2p handler panic", "path", r.URL.Path, "panic", fmt.Sprint(p))
				writeError(w, http.StatusInternalServerError, "internal server error")
			}
		}()
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-XSS-Protection", "0")
		if s.cfg.Security.EnableAuth {
			if err := s.checkToken(r); err != nil {
				writeError(w, http.StatusUnauthorized, err.Error())
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, 8<<20)
		mux.ServeHTTP(w, r)
	})
}

// PeerToken returns a function that makes short-lived tokens for p2p calls.
func PeerToken(a *auth.Authenticator, nodeID string) func() string {
	var mu sync.Mutex
	var tok string
	var exp time.Time
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		if time.Until(exp) < time.Minute {
			exp = time.Now().Add(5 * time.Minute)
			tok = a.Sign(auth.Claims{Subject: "node:" + nodeID, Issuer: "ollama-distributed", IssuedAt: time.Now().Unix(), Expires: exp.Unix()})
		}
		return tok
	}
}

// LocalInfo describes this node for its gossip record. Resource figures are
// sampled at most once per performance.metrics_interval.
func (s *Server) LocalInfo() cluster.Local {
	s.sampleMu.Lock()
	defer s.sampleMu.Unlock()
	perf := s.cfg.Performance
	if perf.MonitoringEnabled && time.Since(s.sampledAt) >= perf.MetricsInterval.D() {
		if s.sampler == nil {
			s.sampler = sysinfo.NewSampler(s.cfg.Storage.ModelsDir)
		}
		s.sample = s.sampler.Read()
		s.sampledAt = time.Now()
	}
	total, _ := sysinfo.MemInfo()
	return cluster.Local{
		Capabilities: cluster.Capabilities{
			CPUCores:        runtime.NumCPU(),
			Memory:          int64(total),
			Storage:         int64(s.cfg.Storage.MaxSize),
			SupportedModels: s.store.Names(),
			LoadFactor:      float64(s.ActiveInferences()) / float64(s.cfg.Scheduler.WorkerCount),
		},
		Metrics: s.sample,
	}
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>{{.Title}}</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em 1em;text-align:left}</style>
</head><body>
<h1>{{.Title}}</h1>
<p>Node <b>{{.S.NodeID}}</b> ({{.Version}}, reference node): cluster <b>{{.S.Health}}</b>,
{{.S.ClusterSize}} of {{.S.ExpectedSize}} members online, leader <b>{{.S.Leader}}</b>, term {{.S.Term}}.</p>
<table><tr><th>node</th><th>status</th><th>API</th><th>p2p</th><th>models</th></tr>
{{range .S.Nodes}}<tr><td>{{.ID}}</td><td>{{.Status}}</td><td>{{.Address}}</td><td>{{.P2PAddress}}</td><td>{{range .Capabilities.SupportedModels}}{{.}} {{end}}</td></tr>
{{end}}</table>
<p>Models here: {{range .Models}}{{.Name}} {{else}}none{{end}}</p>
</body></html>`))

// WebHandler serves the optional status page (web.listen).
func (s *Server) WebHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("X-Frame-Options", "DENY")
		if r.URL.Path != "/" {
			writeError(w, http.StatusNotFound, "not found: "+r.URL.Path)
			return
		}
		title := s.cfg.Web.Title
		if title == "" {
			title = "Ollama Distributed - " + s.cluster.SelfID()
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = pageTmpl.Execute(w, map[string]interface{}{
			"Title": title, "Version": s.version, "S": s.cluster.Status(), "Models": s.store.List(),
		})
	})
}
