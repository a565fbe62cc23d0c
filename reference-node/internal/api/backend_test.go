package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeOllama answers like an Ollama server that has llama3:latest: it
// streams generate unless the request says stream: false, as Ollama does.
// seen records "METHOD /path <body>" of every request.
func fakeOllama(t *testing.T) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path+" "+string(body))
		mu.Unlock()
		var req map[string]interface{}
		_ = json.Unmarshal(body, &req)
		switch r.URL.Path {
		case "/api/pull":
			if req["name"] != "llama3:latest" {
				w.WriteHeader(404)
				fmt.Fprint(w, `{"error":"pull model manifest: file does not exist"}`)
				return
			}
			fmt.Fprint(w, `{"status":"success"}`)
		case "/api/tags":
			fmt.Fprint(w, `{"models":[{"name":"llama3:latest","size":4661224676,"digest":"sha256:365c0bd3c000","details":{"format":"gguf","family":"llama","parameter_size":"8.0B","quantization_level":"Q4_0"}}]}`)
		case "/api/generate":
			if req["stream"] == false {
				fmt.Fprintf(w, `{"model":"llama3","response":"real answer to %v","done":true}`, req["prompt"])
				return
			}
			w.Header().Set("Content-Type", "application/x-ndjson")
			fmt.Fprintf(w, "{\"model\":\"llama3\",\"response\":\"real answer to %v\",\"done\":false}\n{\"model\":\"llama3\",\"response\":\"\",\"done\":true}\n", req["prompt"])
		case "/api/chat":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"model":"llama3","message":{"role":"assistant","content":"real chat"},"done":true}`)
		case "/api/show":
			if req["model"] != "llama3:latest" {
				w.WriteHeader(404)
				fmt.Fprint(w, `{"error":"model not found"}`)
				return
			}
			fmt.Fprint(w, `{"modelfile":"FROM real","template":"{{ .Prompt }} real","parameters":"stop x","details":{"family":"llama"},"model_info":{"llama.context_length":8192}}`)
		case "/api/ps":
			fmt.Fprint(w, `{"models":[{"name":"llama3:latest","model":"llama3:latest","size":5000,"size_vram":5000,"expires_at":"2030-01-01T00:00:00Z"}]}`)
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// lastSeen is the last request the fake got on a path.
func lastSeen(seen []string, path string) string {
	for i := len(seen) - 1; i >= 0; i-- {
		if strings.HasPrefix(seen[i], path+" ") || strings.Contains(seen[i], " "+path+" ") {
			return seen[i]
		}
	}
	return ""
}

func TestBackendOllama(t *testing.T) {
	ollama, seen := fakeOllama(t)
	n := startNode(t, nodeSpec{id: "proxy", extra: fmt.Sprintf("backend: {ollama_url: %q}\n", ollama.URL+"/")})
	ct := []string{"Content-Type", "application/json"}

	assertJSONError(t, call(t, "POST", n.url("/api/pull"), `{"name": "unknown-model", "stream": false}`, ct...), 404)
	r := call(t, "POST", n.url("/api/pull"), `{"name": "llama3", "stream": false}`, ct...)
	if r.code != 200 {
		t.Fatalf("pull through the backend: %d %s", r.code, r.body)
	}
	m := n.get("/api/tags")["models"].([]interface{})[0].(map[string]interface{})
	if m["name"] != "llama3:latest" || m["size"] != 4661224676.0 || m["digest"] != "sha256:365c0bd3c000" {
		t.Errorf("manifest from the backend: %v", m)
	}

	r = call(t, "POST", n.url("/api/generate"), `{"model": "llama3", "prompt": "ping", "stream": true}`, ct...)
	lines := ndjson(t, r.body)
	if r.code != 200 || r.header.Get("Content-Type") != "application/x-ndjson" || len(lines) != 2 ||
		lines[0]["response"] != "real answer to ping" || lines[1]["done"] != true {
		t.Errorf("generate through the backend: %d %s", r.code, r.body)
	}
	if strings.Contains(string(r.body), "reference generator") {
		t.Error("built-in generator answered although a backend is set")
	}
	if got := lastSeen(seen(), "/api/generate"); !strings.Contains(got, `"stream": true`) {
		t.Errorf("the backend got %s, want the body unchanged", got)
	}

	// Without a stream field the node asks the backend for one object
	// (Ollama itself would stream) and answers one JSON object.
	r = call(t, "POST", n.url("/api/generate"), `{"model": "llama3", "prompt": "pong"}`, ct...)
	var one map[string]interface{}
	if err := json.Unmarshal(r.body, &one); err != nil || r.code != 200 || one["response"] != "real answer to pong" || one["done"] != true {
		t.Errorf("generate without stream through the backend: %d %s (%v)", r.code, r.body, err)
	}
	if got := lastSeen(seen(), "/api/generate"); !strings.Contains(got, `"stream":false`) || !strings.Contains(got, `"prompt":"pong"`) {
		t.Errorf("the backend got %s, want stream false added", got)
	}

	r = call(t, "POST", n.url("/api/chat"), `{"model": "llama3", "messages": [{"role": "user", "content": "hi"}], "stream": false}`, ct...)
	if r.code != 200 || r.json(t)["message"].(map[string]interface{})["content"] != "real chat" {
		t.Errorf("chat through the backend: %d %s", r.code, r.body)
	}

	// show and ps come from the backend.
	r = call(t, "POST", n.url("/api/show"), `{"model": "llama3"}`, ct...)
	if r.code != 200 || r.json(t)["template"] != "{{ .Prompt }} real" {
		t.Errorf("show through the backend: %d %s", r.code, r.body)
	}
	assertJSONError(t, call(t, "POST", n.url("/api/show"), `{"model": "not-here"}`, ct...), 404)
	ps := n.get("/api/ps")["models"].([]interface{})
	if len(ps) != 1 || ps[0].(map[string]interface{})["size_vram"] != 5000.0 {
		t.Errorf("ps through the backend: %v", ps)
	}

	// A backend that went away is a 502 with a JSON error; show falls back
	// to the manifest.
	ollama.Close()
	assertJSONError(t, call(t, "POST", n.url("/api/generate"), `{"model": "llama3", "prompt": "ping"}`, ct...), 502)
	assertJSONError(t, call(t, "POST", n.url("/api/pull"), `{"name": "other", "stream": false}`, ct...), 502)
	assertJSONError(t, call(t, "GET", n.url("/api/ps"), ""), 502)
	r = call(t, "POST", n.url("/api/show"), `{"model": "llama3"}`, ct...)
	if r.code != 200 || r.json(t)["details"].(map[string]interface{})["family"] != "llama" {
		t.Errorf("show without a backend: %d %s", r.code, r.body)
	}
}
