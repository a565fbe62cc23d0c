package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
	"github.com/ollama-lab/distributed/reference-node/internal/config"
	"github.com/ollama-lab/distributed/reference-node/internal/models"
)

// manifestPath is the p2p route that hands out a model's manifest.
const manifestPath = "/p2p/v1/manifest"

var errNobodyHasIt = errors.New("model not found on any node")

// handlePull copies a model from an online peer that has it, else from the
// backend Ollama server. Lookup and size checks happen before anything is
// written, so failures get a proper status code even when streaming.
func (s *Server) handlePull(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name   string `json:"name"`
		Model  string `json:"model"`
		Stream *bool  `json:"stream"`
	}
	if !decodeBody(w, r, &req) {
		return
	}
	name := models.Normalize(firstNonEmpty(req.Name, req.Model))
	if name == "" {
		writeError(w, http.StatusBadRequest, "name is required")
		return
	}

	var steps []map[string]interface{}
	step := func(status string, kv ...interface{}) {
		m := map[string]interface{}{"status": status}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		steps = append(steps, m)
	}

	mf, err := s.store.Get(name)
	switch {
	case err == nil:
		step("pulling manifest")
		step("model already present on node " + s.cluster.SelfID())
	default:
		var source string
		mf, source, err = s.findModel(r, name)
		if errors.Is(err, errNobodyHasIt) {
			writeError(w, http.StatusNotFound, fmt.Sprintf("model %q not found on any node", name))
			return
		}
		if err != nil {
			writeError(w, http.StatusBadGateway, err.Error())
			return
		}
		used := s.store.TotalSize()
		limit := int64(s.cfg.Storage.MaxSize)
		if used+mf.Size > limit {
			writeError(w, http.StatusInsufficientStorage, fmt.Sprintf(
				"pulling %s (%s) would exceed storage.max_size (%s used of %s)",
				name, config.FormatSize(mf.Size), config.FormatSize(used), config.FormatSize(limit)))
			return
		}
		mf.ModifiedAt = time.Now().UTC()
		if err := s.store.Put(mf); err != nil {
			s.log.Error("cannot write manifest", "model", name, "error", err)
			writeError(w, http.StatusInternalServerError, "cannot store model manifest")
			return
		}
		s.cluster.RefreshSelf()
		s.log.Info("model pulled", "model", name, "source", source, "size", mf.Size)
		step("pulling manifest")
		step("copying "+name+" from "+source, "digest", mf.Digest, "total", mf.Size, "completed", 0)
		step("copying "+name+" from "+source, "digest", mf.Digest, "total", mf.Size, "completed", mf.Size)
		step("verifying sha256 digest")
		step("writing manifest")
	}
	step("success")

	if !streaming(req.Stream) {
		writeJSON(w, http.StatusOK, map[string]interface{}{"status": "success", "name": name, "size": mf.Size, "digest": mf.Digest})
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	for _, st := range steps {
		_ = enc.Encode(st)
	}
}

// findModel fetches a manifest from an online peer that has the model, or
// pulls it through the backend. The source names where it came from.
func (s *Server) findModel(r *http.Request, name string) (models.Manifest, string, error) {
	self := s.cluster.SelfID()
	for _, n := range s.cluster.Nodes() {
		if n.ID == self || n.Status == cluster.Offline || !contains(n.Capabilities.SupportedModels, name) {
			continue
		}
		mf, err := s.fetchManifest(r, n.P2PAddress, name)
		if err == nil {
			return mf, "node " + n.ID, nil
		}
		s.log.Warn("cannot fetch manifest from peer", "peer", n.ID, "model", name, "error", err)
	}
	if s.backend != nil {
		mf, err := s.pullFromBackend(r, name)
		return mf, "backend", err
	}
	return models.Manifest{}, "", errNobodyHasIt
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (s *Server) fetchManifest(r *http.Request, addr, name string) (models.Manifest, error) {
	var mf models.Manifest
	resp, err := s.peers.Do(r.Context(), http.MethodGet, addr, manifestPath+"?name="+url.QueryEscape(name), nil)
	if err != nil {
		return mf, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return mf, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&mf)
	if err == nil && models.Normalize(mf.Name) != name {
		err = fmt.Errorf("peer sent manifest of %q", mf.Name)
	}
	return mf, err
}

// remoteManifest asks any online peer that has the model for its manifest.
func (s *Server) remoteManifest(r *http.Request, name string) (models.Manifest, error) {
	for _, n := range s.cluster.Nodes() {
		if n.ID != s.cluster.SelfID() && n.Status != cluster.Offline && contains(n.Capabilities.SupportedModels, name) {
			if mf, err := s.fetchManifest(r, n.P2PAddress, name); err == nil {
				return mf, nil
			}
		}
	}
	return models.Manifest{}, errNobodyHasIt
}

// pullFromBackend has the backend Ollama pull the model, then describes it
// from the backend's /api/tags.
func (s *Server) pullFromBackend(r *http.Request, name string) (models.Manifest, error) {
	base := strings.TrimRight(s.cfg.Backend.OllamaURL, "/")
	body, _ := json.Marshal(map[string]interface{}{"name": name, "stream": false})
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, base+"/api/pull", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.backend.Do(req)
	if err != nil {
		return models.Manifest{}, fmt.Errorf("backend Ollama server unreachable: %v", err)
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return models.Manifest{}, errNobodyHasIt
	}
	req, _ = http.NewRequestWithContext(r.Context(), http.MethodGet, base+"/api/tags", nil)
	resp, err = s.backend.Do(req)
	if err != nil {
		return models.Manifest{}, fmt.Errorf("backend Ollama server unreachable: %v", err)
	}
	defer resp.Body.Close()
	var tags struct {
		Models []models.Manifest `json:"models"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&tags); err != nil {
		return models.Manifest{}, fmt.Errorf("backend /api/tags: %v", err)
	}
	for _, m := range tags.Models {
		if models.Normalize(m.Name) == name {
			return m, nil
		}
	}
	return models.Manifest{}, errNobodyHasIt
}
