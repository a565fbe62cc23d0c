package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/models"
)

// Ollama's /api/show and /api/ps (contract section 3), answered from model
// manifests and from what the built-in generator ran; passed to the backend
// Ollama server when one is configured.

// defaultKeepAlive is Ollama's: a model stays loaded 5 minutes after use.
const defaultKeepAlive = 5 * time.Minute

// keepForever is what a negative keep_alive means (Ollama's rule).
const keepForever = time.Duration(math.MaxInt64)

// parseKeepAlive reads keep_alive as Ollama does: absent or null is 5m, a
// number is seconds, a string is a Go duration; negative means forever.
func parseKeepAlive(raw json.RawMessage) (time.Duration, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return defaultKeepAlive, nil
	}
	var v interface{}
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, err
	}
	var d time.Duration
	switch t := v.(type) {
	case float64:
		d = time.Duration(t * float64(time.Second))
		if t < 0 || t*float64(time.Second) > float64(math.MaxInt64) {
			d = keepForever
		}
	case string:
		var err error
		if d, err = time.ParseDuration(t); err != nil {
			return 0, fmt.Errorf("%q is not a duration such as 5m or 30s", t)
		}
	default:
		return 0, errors.New("want a number of seconds or a duration string such as 5m")
	}
	if d < 0 {
		d = keepForever
	}
	return d, nil
}

// runningModels is what /api/ps lists: models this node's built-in
// generator ran, until their keep_alive runs out.
type runningModels struct {
	mu sync.Mutex
	m  map[string]time.Time // model name -> expiry
}

// touch records a use of the model; keep_alive 0 unloads it at once.
func (rm *runningModels) touch(mf models.Manifest, keep time.Duration, now time.Time) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.m == nil {
		rm.m = map[string]time.Time{}
	}
	if keep == 0 {
		delete(rm.m, mf.Name)
		return
	}
	rm.m[mf.Name] = now.Add(keep)
}

// live returns the unexpired models and their expiry, forgetting the rest.
func (rm *runningModels) live(now time.Time) map[string]time.Time {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	out := map[string]time.Time{}
	for name, exp := range rm.m {
		if exp.After(now) {
			out[name] = exp
		} else {
			delete(rm.m, name)
		}
	}
	return out
}

type psModel struct {
	Name      string         `json:"name"`
	Model     string         `json:"model"`
	Size      int64          `json:"size"`
	Digest    string         `json:"digest"`
	Details   models.Details `json:"details"`
	ExpiresAt time.Time      `json:"expires_at"`
	SizeVRAM  int64          `json:"size_vram"`
}

// handlePs lists the models loaded on this node (Ollama's ps is per
// server; a forwarded request loads the model on the node that ran it).
func (s *Server) handlePs(w http.ResponseWriter, r *http.Request) {
	if s.backend != nil {
		s.passToBackend(w, r, http.MethodGet, "/api/ps", nil, false)
		return
	}
	out := []psModel{}
	for name, exp := range s.running.live(time.Now()) {
		mf, err := s.store.Get(name)
		if err != nil { // deleted since it ran
			continue
		}
		out = append(out, psModel{Name: mf.Name, Model: mf.Name, Size: mf.Size, Digest: mf.Digest,
			Details: mf.Details, ExpiresAt: exp.UTC()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	writeJSON(w, http.StatusOK, map[string]interface{}{"models": out})
}

// handleShow describes a model: from the backend when this node has the
// model and a backend, else from the manifest here or, when only a peer has
// the model, from that peer's manifest.
func (s *Server) handleShow(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model string `json:"model"`
		Name  string `json:"name"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	name := models.Normalize(firstNonEmpty(req.Model, req.Name))
	if name == "" {
		writeError(w, http.StatusBadRequest, "model is required")
		return
	}
	mf, err := s.store.Get(name)
	if err == nil && s.backend != nil {
		body, _ := json.Marshal(map[string]string{"model": name})
		if s.passToBackend(w, r, http.MethodPost, "/api/show", body, true) {
			return
		}
	}
	if err != nil {
		if mf, err = s.remoteManifest(r, name); err != nil {
			writeError(w, http.StatusNotFound, fmt.Sprintf("model %q not found on any node", name))
			return
		}
	}
	writeJSON(w, http.StatusOK, showAnswer(mf))
}

// showAnswer is Ollama's show answer for a manifest of the lab.
func showAnswer(mf models.Manifest) map[string]interface{} {
	d := mf.Details
	families := []string{}
	info := map[string]interface{}{"general.basename": strings.SplitN(mf.Name, ":", 2)[0]}
	if d.Family != "" {
		families = append(families, d.Family)
		info["general.architecture"] = d.Family
	}
	return map[string]interface{}{
		"license": "",
		"modelfile": fmt.Sprintf("# Model manifest of the ollama-distributed reference node: no weights;\n"+
			"# without a backend the built-in lab generator answers for it.\nFROM %s\n", mf.Name),
		"parameters": "",
		"template":   "{{ .Prompt }}",
		"details": map[string]interface{}{
			"parent_model": "", "format": d.Format, "family": d.Family, "families": families,
			"parameter_size": d.ParameterSize, "quantization_level": d.QuantizationLevel,
		},
		"model_info":   info,
		"capabilities": []string{"completion"},
		"modified_at":  mf.ModifiedAt,
	}
}

// passToBackend sends a request to the backend Ollama server and relays a
// 200 answer. With fallback, anything else writes nothing and returns false
// (the caller answers itself); without it, errors are answered here (502).
func (s *Server) passToBackend(w http.ResponseWriter, r *http.Request, method, path string, body []byte, fallback bool) bool {
	url := strings.TrimRight(s.cfg.Backend.OllamaURL, "/") + path
	req, err := http.NewRequestWithContext(r.Context(), method, url, bytes.NewReader(body))
	if err != nil {
		writeError(w, http.StatusInternalServerError, "cannot build backend request")
		return true
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.backend.Do(req)
	if err != nil {
		s.log.Warn("backend request failed", "url", url, "error", err)
		if !fallback {
			writeError(w, http.StatusBadGateway, "backend Ollama server unreachable")
		}
		return !fallback
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil || resp.StatusCode != http.StatusOK || !json.Valid(data) {
		if !fallback {
			writeError(w, http.StatusBadGateway, fmt.Sprintf("backend Ollama server answered HTTP %d", resp.StatusCode))
		}
		return !fallback
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
	return true
}
