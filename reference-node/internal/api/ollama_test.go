package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

var jsonCT = []string{"Content-Type", "application/json"}

// twoNodes starts node-1 with tinyllama:1b and node-2, which learns of the
// model through gossip but has no manifest.
func twoNodes(t *testing.T) (*testNode, *testNode) {
	t.Helper()
	n1 := startNode(t, nodeSpec{id: "node-1"})
	n1.seedModel("tinyllama:1b", 1000)
	n2 := startNode(t, nodeSpec{id: "node-2", bootstrap: []string{n1.p2pAddr}})
	eventually(t, "node-2 knows node-1 has tinyllama:1b", func() error {
		for _, m := range n2.get("/api/distributed/models")["models"].([]interface{}) {
			if mm := m.(map[string]interface{}); mm["name"] == "tinyllama:1b" && mm["status"] == "available" {
				return nil
			}
		}
		return errNotYet
	})
	return n1, n2
}

// oneObject checks that body is exactly one JSON object (no NDJSON).
func oneObject(t *testing.T, what string, r response) map[string]interface{} {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.body))
	var m map[string]interface{}
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: not JSON: %v: %s", what, err, r.body)
	}
	var more interface{}
	if err := dec.Decode(&more); !errors.Is(err, io.EOF) {
		t.Errorf("%s: more than one JSON value: %s", what, r.body)
	}
	if r.code != 200 || r.header.Get("Content-Type") != "application/json" || m["done"] != true {
		t.Errorf("%s: %d %s %s", what, r.code, r.header.Get("Content-Type"), r.body)
	}
	return m
}

// Issue 14 point 3: generate and chat without a stream field answer one
// JSON object, locally and when forwarded; stream true gives NDJSON.
func TestStreamField(t *testing.T) {
	n1, n2 := twoNodes(t)
	bodies := map[string]string{
		"/api/generate": `{"model": "tinyllama:1b", "prompt": "hello there"%s}`,
		"/api/chat":     `{"model": "tinyllama:1b", "messages": [{"role": "user", "content": "hello there"}]%s}`,
	}
	for _, n := range []*testNode{n1, n2} {
		for path, body := range bodies {
			what := n.id + " " + path
			absent := oneObject(t, what+" without stream", call(t, "POST", n.url(path), fmt.Sprintf(body, ""), jsonCT...))
			off := oneObject(t, what+" stream false", call(t, "POST", n.url(path), fmt.Sprintf(body, `, "stream": false`), jsonCT...))
			if fmt.Sprint(absent["response"], absent["message"]) != fmt.Sprint(off["response"], off["message"]) {
				t.Errorf("%s: answers differ without stream and with stream false: %v / %v", what, absent, off)
			}
			r := call(t, "POST", n.url(path), fmt.Sprintf(body, `, "stream": true`), jsonCT...)
			lines := ndjson(t, r.body)
			if r.header.Get("Content-Type") != "application/x-ndjson" || len(lines) < 3 || lines[len(lines)-1]["done"] != true {
				t.Errorf("%s stream true: %s, %d lines", what, r.header.Get("Content-Type"), len(lines))
			}
			if by := r.header.Get(ServedByHeader); by != "node-1" {
				t.Errorf("%s: served by %q, want node-1 (the only holder)", what, by)
			}
		}
	}
}

func TestShow(t *testing.T) {
	n1, n2 := twoNodes(t)
	for _, c := range []struct {
		n    *testNode
		body string
	}{
		{n1, `{"model": "tinyllama:1b"}`},
		{n1, `{"name": "tinyllama:1b"}`},
		{n2, `{"model": "tinyllama:1b"}`}, // from node-1's manifest
	} {
		r := call(t, "POST", c.n.url("/api/show"), c.body, jsonCT...)
		if r.code != 200 {
			t.Fatalf("show on %s %s: %d %s", c.n.id, c.body, r.code, r.body)
		}
		assertHeaders(t, r)
		m := r.json(t)
		hasKeys(t, "show", m, "modelfile", "parameters", "template", "details", "model_info", "capabilities", "modified_at")
		d, _ := m["details"].(map[string]interface{})
		if d["format"] != "gguf" || d["family"] != "llama" || d["parameter_size"] != "1B" || d["quantization_level"] != "Q4_0" ||
			fmt.Sprint(d["families"]) != "[llama]" {
			t.Errorf("show on %s: details %v", c.n.id, d)
		}
		if info, ok := m["model_info"].(map[string]interface{}); !ok || info["general.architecture"] != "llama" {
			t.Errorf("show on %s: model_info %v", c.n.id, m["model_info"])
		}
		if !strings.Contains(fmt.Sprint(m["modelfile"]), "FROM tinyllama:1b") {
			t.Errorf("show on %s: modelfile %q", c.n.id, m["modelfile"])
		}
	}
	for _, n := range []*testNode{n1, n2} {
		assertJSONError(t, call(t, "POST", n.url("/api/show"), `{"model": "no-such-model"}`, jsonCT...), 404)
		assertJSONError(t, call(t, "POST", n.url("/api/show"), `{}`, jsonCT...), 400)
		assertJSONError(t, call(t, "GET", n.url("/api/show"), ""), 405)
	}
}

func TestPs(t *testing.T) {
	n1, n2 := twoNodes(t)
	ps := func(n *testNode) []interface{} {
		t.Helper()
		r := call(t, "GET", n.url("/api/ps"), "")
		assertHeaders(t, r)
		list, ok := r.json(t)["models"].([]interface{})
		if r.code != 200 || !ok {
			t.Fatalf("ps on %s: %d %s", n.id, r.code, r.body)
		}
		return list
	}
	for _, n := range []*testNode{n1, n2} {
		if got := ps(n); len(got) != 0 {
			t.Errorf("ps on %s before any inference: %v", n.id, got)
		}
	}
	gen := func(n *testNode, body string) response {
		t.Helper()
		r := call(t, "POST", n.url("/api/generate"), body, jsonCT...)
		if r.code != 200 {
			t.Fatalf("generate on %s %s: %d %s", n.id, body, r.code, r.body)
		}
		return r
	}
	expiry := func(n *testNode) time.Duration {
		t.Helper()
		list := ps(n)
		if len(list) != 1 {
			t.Fatalf("ps on %s: want one model, got %v", n.id, list)
		}
		m := list[0].(map[string]interface{})
		hasKeys(t, "ps", m, "name", "model", "size", "digest", "details", "expires_at", "size_vram")
		if m["name"] != "tinyllama:1b" || m["model"] != "tinyllama:1b" || m["size"] != 1000.0 {
			t.Errorf("ps entry: %v", m)
		}
		exp, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m["expires_at"]))
		if err != nil {
			t.Fatalf("expires_at: %v", err)
		}
		return time.Until(exp)
	}

	// Forwarded through node-2: node-1 ran it and lists it, for Ollama's
	// default keep_alive of 5 minutes; node-2 ran nothing.
	gen(n2, `{"model": "tinyllama:1b", "prompt": "x"}`)
	if left := expiry(n1); left < 4*time.Minute || left > 5*time.Minute {
		t.Errorf("default keep_alive: expires in %s", left)
	}
	if got := ps(n2); len(got) != 0 {
		t.Errorf("ps on node-2, which forwarded: %v", got)
	}
	gen(n1, `{"model": "tinyllama:1b", "prompt": "x", "keep_alive": "1h"}`)
	if left := expiry(n1); left < 59*time.Minute || left > time.Hour {
		t.Errorf("keep_alive 1h: expires in %s", left)
	}
	gen(n1, `{"model": "tinyllama:1b", "prompt": "x", "keep_alive": -1}`)
	if left := expiry(n1); left < 100*365*24*time.Hour {
		t.Errorf("keep_alive -1: expires in %s, want forever", left)
	}
	// An empty prompt with keep_alive 0 unloads, as in Ollama.
	r := gen(n1, `{"model": "tinyllama:1b", "keep_alive": 0}`)
	if m := r.json(t); m["done_reason"] != "unload" || m["response"] != "" {
		t.Errorf("unload answer: %v", m)
	}
	if got := ps(n1); len(got) != 0 {
		t.Errorf("ps after keep_alive 0: %v", got)
	}
	r = gen(n1, `{"model": "tinyllama:1b", "keep_alive": 120}`)
	if m := r.json(t); m["done_reason"] != "load" || m["response"] != "" {
		t.Errorf("load answer: %v", m)
	}
	if left := expiry(n1); left < 110*time.Second || left > 2*time.Minute {
		t.Errorf("keep_alive 120: expires in %s", left)
	}
	assertJSONError(t, call(t, "POST", n1.url("/api/generate"), `{"model": "tinyllama:1b", "prompt": "x", "keep_alive": "soon"}`, jsonCT...), 400)
	assertJSONError(t, call(t, "POST", n1.url("/api/chat"), `{"model": "tinyllama:1b", "keep_alive": true}`, jsonCT...), 400)

	// A deleted model is no longer listed.
	if r := call(t, "DELETE", n1.url("/api/delete"), `{"model": "tinyllama:1b"}`, jsonCT...); r.code != 200 {
		t.Fatalf("delete: %d %s", r.code, r.body)
	}
	if got := ps(n1); len(got) != 0 {
		t.Errorf("ps after delete: %v", got)
	}
}

func TestParseKeepAlive(t *testing.T) {
	for raw, want := range map[string]time.Duration{
		``: defaultKeepAlive, `null`: defaultKeepAlive, `300`: 5 * time.Minute, `1.5`: 1500 * time.Millisecond,
		`"10m"`: 10 * time.Minute, `0`: 0, `"0"`: 0, `-1`: keepForever, `"-1m"`: keepForever, `1e300`: keepForever,
	} {
		got, err := parseKeepAlive(json.RawMessage(raw))
		if err != nil || got != want {
			t.Errorf("keep_alive %s: %s %v, want %s", raw, got, err, want)
		}
	}
	for _, raw := range []string{`"soon"`, `true`, `[1]`, `{}`} {
		if _, err := parseKeepAlive(json.RawMessage(raw)); err == nil {
			t.Errorf("keep_alive %s accepted", raw)
		}
	}
}

// The bodies the official ollama Python client (0.6.3) sends, as its
// pydantic models dump them: model (not name), insecure, tools, images,
// options and keep_alive all come along.
func TestOfficialClientBodies(t *testing.T) {
	n1, n2 := twoNodes(t)
	for _, c := range []struct {
		n            *testNode
		method, path string
		body         string
	}{
		{n2, "POST", "/api/pull", `{"model": "tinyllama:1b", "insecure": false, "stream": false}`},
		{n2, "POST", "/api/show", `{"model": "tinyllama:1b"}`},
		{n1, "POST", "/api/generate", `{"model": "tinyllama:1b", "prompt": "hi", "stream": false, "images": ["aGVsbG8="], "options": {"temperature": 0.1, "num_predict": 4}, "keep_alive": "5m", "context": [1, 2], "format": ""}`},
		{n2, "POST", "/api/chat", `{"model": "tinyllama:1b", "messages": [{"role": "user", "content": "hi", "images": ["aGVsbG8="]}], "tools": [], "stream": false, "options": {"seed": 1}, "keep_alive": 60}`},
		{n2, "DELETE", "/api/delete", `{"model": "tinyllama:1b"}`},
	} {
		r := call(t, c.method, c.n.url(c.path), c.body, jsonCT...)
		if r.code != 200 {
			t.Errorf("%s %s on %s: %d %s", c.method, c.path, c.n.id, r.code, r.body)
		}
		if c.path == "/api/generate" {
			if words := strings.Fields(fmt.Sprint(r.json(t)["response"])); len(words) != 4 {
				t.Errorf("options.num_predict 4 gave %q", words)
			}
		}
	}
	if _, err := n2.srv.store.Get("tinyllama:1b"); err == nil {
		t.Error("node-2 still has the model it pulled and deleted")
	}
}
