package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeOllama answers like an Ollama server that has llama3:latest.
func fakeOllama(t *testing.T) (*httptest.Server, *[]string) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen = append(seen, r.Method+" "+r.URL.Path)
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
			w.Header().Set("Content-Type", "application/x-ndjson")
			fmt.Fprintf(w, "{\"model\":\"llama3\",\"response\":\"real answer to %v\",\"done\":false}\n{\"model\":\"llama3\",\"response\":\"\",\"done\":true}\n", req["prompt"])
		case "/api/chat":
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"model":"llama3","message":{"role":"assistant","content":"real chat"},"done":true}`)
		default:
			w.WriteHeader(404)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func TestBackendOllama(t *testing.T) {
	ollama, seen := fakeOllama(t)
	n := startNode(t, nodeSpec{id: "proxy", extra: fmt.Sprintf("backend: {ollama_url: %q}\n", ollama.URL+"/")})

	assertJSONError(t, call(t, "POST", n.url("/api/pull"), `{"name": "unknown-model", "stream": false}`), 404)
	r := call(t, "POST", n.url("/api/pull"), `{"name": "llama3", "stream": false}`)
	if r.code != 200 {
		t.Fatalf("pull through the backend: %d %s", r.code, r.body)
	}
	m := n.get("/api/tags")["models"].([]interface{})[0].(map[string]interface{})
	if m["name"] != "llama3:latest" || m["size"] != 4661224676.0 || m["digest"] != "sha256:365c0bd3c000" {
		t.Errorf("manifest from the backend: %v", m)
	}

	r = call(t, "POST", n.url("/api/generate"), `{"model": "llama3", "prompt": "ping"}`)
	lines := ndjson(t, r.body)
	if r.code != 200 || r.header.Get("Content-Type") != "application/x-ndjson" || len(lines) != 2 ||
		lines[0]["response"] != "real answer to ping" || lines[1]["done"] != true {
		t.Errorf("generate through the backend: %d %s", r.code, r.body)
	}
	if strings.Contains(string(r.body), "reference generator") {
		t.Error("built-in generator answered although a backend is set")
	}
	r = call(t, "POST", n.url("/api/chat"), `{"model": "llama3", "messages": [{"role": "user", "content": "hi"}], "stream": false}`)
	if r.code != 200 || r.json(t)["message"].(map[string]interface{})["content"] != "real chat" {
		t.Errorf("chat through the backend: %d %s", r.code, r.body)
	}
	if got := strings.Join(*seen, ","); !strings.Contains(got, "POST /api/generate") || !strings.Contains(got, "POST /api/chat") {
		t.Errorf("backend saw %s", got)
	}

	// A backend that went away is a 502 with a JSON error.
	ollama.Close()
	assertJSONError(t, call(t, "POST", n.url("/api/generate"), `{"model": "llama3", "prompt": "ping"}`), 502)
	assertJSONError(t, call(t, "POST", n.url("/api/pull"), `{"name": "other", "stream": false}`), 502)
}
