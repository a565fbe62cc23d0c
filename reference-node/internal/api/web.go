package api

import (
	"html/template"
	"net/http"
)

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>{{.Title}}</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:.3em 1em;text-align:left}</style>
</head><body>
<h1>{{.Title}}</h1>
<p>Node <b>{{.S.NodeID}}</b> ({{.Version}}, reference node): cluster <b>{{.S.Health}}</b>,
{{.S.ClusterSize}} of {{.S.ExpectedSize}} members online, leader <b>{{.S.Leader}}</b>, term {{.S.Term}}.</p>
<table><tr><th>node</th><th>status</th><th>API</th><th>p2p</th><th>models</th></tr>
{{range .S.Nodes}}<tr><td>{{.ID}}</td><td>{{.Status}}</td><td>{{.Address}}</td><td>{{.P2PAddress}}</td><td>{{range .Capabilities.SupportedModels}}{{.}} {{end}}</td></tr>
{{end}}</table>
<p>Models here: {{range .Models}}{{.Name}} {{else}}none{{end}}</p>
</body></html>`))

// publicTmpl is the page for a request without a valid token when auth is
// on: only what the public routes tell (health, version, cluster size).
var publicTmpl = template.Must(template.New("public").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>{{.Title}}</title>
<style>body{font-family:sans-serif;margin:2em}</style>
</head><body>
<h1>{{.Title}}</h1>
<p>Version {{.Version}} (reference node): cluster <b>{{.Health}}</b>, {{.Size}} of {{.Expected}} members online.</p>
<p>Members and models are shown to requests with a valid bearer token (an API key or a JWT).</p>
</body></html>`))

// WebHandler serves the optional status page (web.listen). With
// security.enable_auth, the full page (members, addresses, models) needs
// the same bearer token as the protected API routes.
func (s *Server) WebHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		h.Set("Vary", "Authorization")
		if r.URL.Path != "/" {
			writeError(w, http.StatusNotFound, "not found: "+r.URL.Path)
			return
		}
		title := s.cfg.Web.Title
		if title == "" {
			title = "Ollama Distributed - " + s.cluster.SelfID()
		}
		st := s.cluster.Status()
		full := true
		if s.cfg.Security.EnableAuth {
			if err := s.checkToken(r); err != nil {
				full = false
				if r.Header.Get("Authorization") != "" { // a wrong token, not just a visitor
					s.authFailed(r, "web", err.Error())
				}
			}
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		if !full {
			_ = publicTmpl.Execute(w, map[string]interface{}{
				"Title": title, "Version": s.version, "Health": st.Health, "Size": st.ClusterSize, "Expected": st.ExpectedSize,
			})
			return
		}
		_ = pageTmpl.Execute(w, map[string]interface{}{
			"Title": title, "Version": s.version, "S": st, "Models": s.store.List(),
		})
	})
}
