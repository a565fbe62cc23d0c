package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/auth"
	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
)

func (s *Server) uptime() time.Duration { return time.Since(s.started) }

func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]interface{}{
		"name": "ollama-distributed", "distribution": "reference",
		"version": s.version, "node_id": s.cluster.SelfID(),
	})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	status := s.cluster.Health()
	code := http.StatusOK
	if status == cluster.Unhealthy {
		code = http.StatusServiceUnavailable
	}
	up := s.uptime()
	writeJSON(w, code, map[string]interface{}{
		"status":         status,
		"timestamp":      time.Now().UTC().Format(time.RFC3339),
		"version":        s.version,
		"node_id":        s.cluster.SelfID(),
		"uptime":         up.Round(time.Second).String(),
		"uptime_seconds": int64(up.Seconds()),
	})
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{
		"version": s.version, "distribution": "reference", "go_version": goVersion,
	})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		APIKey string `json:"api_key"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	tok, exp, err := s.auth.Exchange(req.APIKey)
	switch {
	case errors.Is(err, auth.ErrNoSecret):
		writeError(w, http.StatusServiceUnavailable, "token issuing needs security.jwt.secret")
	case err != nil:
		s.authFailed(r, "api", "invalid api_key")
		writeError(w, http.StatusUnauthorized, "invalid api_key")
	default:
		writeJSON(w, http.StatusOK, map[string]string{"token": tok, "expires_at": exp.UTC().Format(time.RFC3339)})
	}
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (s *Server) handlePrometheus(w http.ResponseWriter, r *http.Request) {
	st := s.cluster.Status()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	s.prom.write(w, []gauge{
		{"ollama_distributed_up", "1 while the node runs.", 1},
		{"ollama_distributed_cluster_size", "Online members, this node included.", float64(st.ClusterSize)},
		{"ollama_distributed_expected_size", "Expected cluster size.", float64(st.ExpectedSize)},
		{"ollama_distributed_connected_peers", "Online members other than this node.", float64(st.ConnectedPeers)},
		{"ollama_distributed_is_leader", "1 when this node is the leader.", boolFloat(st.IsLeader)},
		{"ollama_distributed_term", "Leadership term.", float64(st.Term)},
		{"ollama_distributed_models", "Models stored on this node.", float64(len(s.store.List()))},
		{"ollama_distributed_active_inferences", "Inferences running on this node.", float64(s.ActiveInferences())},
	})
}

func (s *Server) handleV1Metrics(w http.ResponseWriter, r *http.Request) {
	st := s.cluster.Status()
	self := st.Nodes[0]
	writeJSON(w, http.StatusOK, map[string]interface{}{
		"timestamp":          time.Now().UTC().Format(time.RFC3339),
		"node_id":            st.NodeID,
		"connected_peers":    st.ConnectedPeers,
		"is_leader":          st.IsLeader,
		"requests_processed": s.prom.total(),
		"models_loaded":      len(s.store.List()),
		"nodes_total":        len(st.Nodes),
		"nodes_online":       st.ClusterSize,
		"uptime_seconds":     int64(s.uptime().Seconds()),
		"cpu_usage":          self.Metrics.CPUUsage,
		"memory_usage":       self.Metrics.MemoryUsage,
	})
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.cluster.Status())
}

func (s *Server) handleLeader(w http.ResponseWriter, r *http.Request) {
	id, addr, term := s.cluster.Leader()
	writeJSON(w, http.StatusOK, map[string]interface{}{"leader": id, "address": addr, "term": term})
}

func (s *Server) handleNodes(w http.ResponseWriter, r *http.Request) {
	nodes := s.cluster.Nodes()
	writeJSON(w, http.StatusOK, map[string]interface{}{"nodes": nodes, "total": len(nodes)})
}

func (s *Server) handleNode(w http.ResponseWriter, r *http.Request) {
	n, ok := s.cluster.Node(param(r, "id"))
	if !ok {
		writeError(w, http.StatusNotFound, "node not found: "+param(r, "id"))
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *Server) handleDrain(drain bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := param(r, "id")
		if !s.cluster.SetDrain(id, drain) {
			writeError(w, http.StatusNotFound, "node not found: "+id)
			return
		}
		status := cluster.Online
		if drain {
			status = cluster.Draining
		}
		writeJSON(w, http.StatusOK, map[string]string{"node_id": id, "status": status})
	}
}
