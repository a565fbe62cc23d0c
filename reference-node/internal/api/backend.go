package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
)

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

// runBackend passes the request to the backend Ollama server. A request
// without a stream field gets "stream": false added, since Ollama itself
// would stream it and the contract answers one object.
func (s *Server) runBackend(w http.ResponseWriter, r *http.Request, kind string, req *inferRequest, raw []byte) {
	if req.Stream == nil {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err == nil {
			fields["stream"] = json.RawMessage("false")
			if b, err := json.Marshal(fields); err == nil {
				raw = b
			}
		}
	}
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
