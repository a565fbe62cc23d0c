package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/models"
)

// builtinWords is the deterministic answer of the built-in generator. It
// says plainly that it is a lab generator and that no model ran.
func builtinWords(model, node, prompt string, limit int) []string {
	sum := sha256.Sum256([]byte(model + "\x00" + prompt))
	text := fmt.Sprintf("[reference generator] Node %s answered for model %s with the lab generator, without running any model. "+
		"The prompt had %d words and fingerprint %s.", node, model, len(strings.Fields(prompt)), hex.EncodeToString(sum[:4]))
	words := strings.SplitAfter(text, " ")
	if limit > 0 && limit < len(words) {
		words = words[:limit]
	}
	return words
}

// runBuiltin answers with the built-in generator. As in Ollama, a generate
// without a prompt (or a chat without messages) only loads the model, or
// unloads it with keep_alive 0, and answers done_reason "load"/"unload".
func (s *Server) runBuiltin(w http.ResponseWriter, kind string, mf models.Manifest, req *inferRequest) {
	start := time.Now()
	model := mf.Name
	loadOnly := (kind == "generate" && req.Prompt == "") || (kind == "chat" && len(req.Messages) == 0)
	s.running.touch(mf, req.keepAlive, start)
	var words []string
	promptTokens := 0
	if !loadOnly {
		prompt := req.System + " " + req.Prompt
		for _, m := range req.Messages {
			prompt += " " + m.Content
		}
		words = builtinWords(model, s.cluster.SelfID(), req.Prompt+lastUser(req.Messages), req.Options.NumPredict)
		promptTokens = len(strings.Fields(prompt))
	}
	s.stats.inference(true, promptTokens+len(words))

	chunk := func(text string, done bool) map[string]interface{} {
		m := map[string]interface{}{
			"model":      model,
			"created_at": time.Now().UTC().Format(time.RFC3339Nano),
			"done":       done,
		}
		if kind == "chat" {
			m["message"] = chatMessage{Role: "assistant", Content: text}
		} else {
			m["response"] = text
		}
		if done {
			total := time.Since(start)
			m["done_reason"] = "stop"
			m["total_duration"] = total.Nanoseconds()
			m["load_duration"] = 0
			m["prompt_eval_count"] = promptTokens
			m["prompt_eval_duration"] = total.Nanoseconds() / 4
			m["eval_count"] = len(words)
			m["eval_duration"] = total.Nanoseconds() - total.Nanoseconds()/4
			if loadOnly {
				m["done_reason"] = "load"
				if req.keepAlive == 0 {
					m["done_reason"] = "unload"
				}
			}
		}
		return m
	}
	if !inferStreams(req.Stream) || loadOnly {
		writeJSON(w, http.StatusOK, chunk(strings.Join(words, ""), true))
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	f, _ := w.(http.Flusher)
	for _, word := range words {
		if enc.Encode(chunk(word, false)) != nil {
			return
		}
		if f != nil {
			f.Flush()
		}
	}
	_ = enc.Encode(chunk("", true))
}

func lastUser(msgs []chatMessage) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return msgs[i].Content
		}
	}
	return ""
}
