package api

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
	"github.com/ollama-lab/distributed/reference-node/internal/models"
)

func (s *Server) handleTags(w http.ResponseWriter, r *http.Request) {
	list := s.store.List()
	writeJSON(w, http.StatusOK, map[string]interface{}{"models": list})
}

type distModel struct {
	Name      string   `json:"name"`
	Size      int64    `json:"size"`
	Digest    string   `json:"digest"`
	Replicas  int      `json:"replicas"`
	Locations []string `json:"locations"`
	Status    string   `json:"status"`
}

// handleDistributedModels aggregates the models of every known member. Sizes
// and digests come from this node's manifest when it has the model; for
// remote-only models they come from the owning peer on demand.
func (s *Server) handleDistributedModels(w http.ResponseWriter, r *http.Request) {
	byName := map[string]*distModel{}
	online := map[string]int{}
	for _, n := range s.cluster.Nodes() {
		for _, name := range n.Capabilities.SupportedModels {
			m := byName[name]
			if m == nil {
				m = &distModel{Name: name, Locations: []string{}}
				byName[name] = m
			}
			m.Locations = append(m.Locations, n.ID)
			m.Replicas++
			if n.Status != cluster.Offline {
				online[name]++
			}
		}
	}
	for _, lm := range s.store.List() {
		m := byName[lm.Name]
		if m == nil { // seeded since the last heartbeat
			m = &distModel{Name: lm.Name, Locations: []string{s.cluster.SelfID()}, Replicas: 1}
			byName[lm.Name] = m
			online[lm.Name]++
		}
		m.Size, m.Digest = lm.Size, lm.Digest
	}
	out := make([]distModel, 0, len(byName))
	for name, m := range byName {
		// "available": some online node has it; "offline": only offline ones.
		m.Status = "available"
		if online[name] == 0 {
			m.Status = "offline"
		}
		sort.Strings(m.Locations)
		if m.Digest == "" {
			if mf, err := s.remoteManifest(r, name); err == nil {
				m.Size, m.Digest = mf.Size, mf.Digest
			}
		}
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, map[string]interface{}{"models": out, "total": len(out)})
}

func (s *Server) handleDelete(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name  string `json:"name"`
		Model string `json:"model"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	name := firstNonEmpty(req.Name, req.Model)
	if name == "" {
		writeError(w, http.StatusBadRequest, "name is required")
		return
	}
	err := s.store.Delete(name)
	switch {
	case errors.Is(err, models.ErrNotFound):
		writeError(w, http.StatusNotFound, "model not found: "+models.Normalize(name))
	case err != nil:
		s.log.Error("delete failed", "model", name, "error", err)
		writeError(w, http.StatusInternalServerError, "cannot delete model")
	default:
		s.cluster.RefreshSelf()
		s.log.Info("model deleted", "model", models.Normalize(name))
		writeJSON(w, http.StatusOK, map[string]string{"status": "success", "name": models.Normalize(name)})
	}
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
