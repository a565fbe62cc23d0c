package api

import (
	"fmt"
	"net/http"
	"runtime"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
	"github.com/ollama-lab/distributed/reference-node/internal/sysinfo"
)

// P2PHandler serves the node-to-node endpoint: gossip, manifests and
// inferences forwarded by peers. With cluster.secret set, every request must
// carry it in cluster.SecretHeader; any other request gets 401, is logged
// and reaches no handler. Client API keys and JWTs are never accepted here.
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
		if secret := s.cfg.Cluster.Secret; secret != "" {
			got, present := r.Header[http.CanonicalHeaderKey(cluster.SecretHeader)]
			if !present || len(got) != 1 || !cluster.SecretMatches(secret, got[0]) {
				reason := "wrong cluster secret"
				if !present {
					reason = "no cluster secret"
				}
				s.authFailed(r, "p2p", reason)
				writeError(w, http.StatusUnauthorized, "p2p requests need this cluster's secret")
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, 8<<20)
		mux.ServeHTTP(w, r)
	})
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
