package main

import (
	"crypto/tls"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// upstreamProfile returns a profile carrying every key that upstream's
// training generator (configuration-manager.go, commit 381416809) writes for
// the given environment, with the values it writes, except the listen
// ports (free ones here) and, for production, the absolute state paths
// (under root) and the TLS files (relative, next to the profile). Upstream's
// generator marshals every field of its structs, so unset ones appear with
// their Go zero values ("", 0, 0s, []).
func upstreamProfile(env, root, api, p2p, web string) string {
	var v map[string]string
	switch env {
	case "development":
		v = map[string]string{
			"debug": "true", "timeout": "30s", "tls": `{enabled: false, cert_file: "", key_file: ""}`,
			"origins": `["*"]`, "methods": "[GET, POST, PUT, DELETE, OPTIONS]", "cheaders": `["*"]`,
			"rate":       "{enabled: false, requests_per_minute: 1000, burst_size: 50}",
			"middleware": "[logger, cors, recovery]\n    headers: {X-API-Version: v1, X-Environment: development}",
			"protocol":   "tcp", "discovery": "{method: mdns, interval: 30}",
			"p2psec": `{enable_tls: false, private_key: ""}`, "limits": "{max_connections: 50, max_streams: 100, max_message_size: 1048576}",
			"webauth": "false", "static": "./web/static", "theme": "default", "title": "Ollama Distributed - Development",
			"data": "./dev-data", "models": "./dev-data/models", "cache": "./dev-data/cache", "temp": "./dev-data/temp",
			"maxsize": "10GB", "cleanup": "true", "level": "debug", "output": "both", "file": "./dev-data/logs/ollama-distributed.log",
			"lmax": "100MB", "backups": "5", "age": "7", "compress": "true",
			"mon": "true", "interval": "5", "opt": "false", "prof": "true", "mem": "2GB", "cpu": `"2.0"`, "gc": "100",
			"cdata": "./dev-data/consensus", "cboot": "true", "bind": "127.0.0.1:7000", "elect": "1s", "beat": "100ms", "maxlog": "10000",
			"algo": "round_robin", "lb": "cpu_aware", "workers": "4", "queue": "100",
			"policies": "\n    policies: {retry_policy: exponential_backoff, timeout: 30s}",
			"auth":     "false", "secret": "dev-secret-key", "exp": "24h0m0s", "alg": "HS256", "enc": "none",
			"meta": "{created: 2025-09-03T11:37:03Z, created_by: training-manager, version: 1.0.0, tags: [development, training, local]}",
		}
	case "testing":
		v = map[string]string{
			"debug": "false", "timeout": "15s", "tls": `{enabled: false, cert_file: "", key_file: ""}`,
			"origins": `["http://localhost:*", "http://127.0.0.1:*"]`, "methods": "[]", "cheaders": "[]",
			"rate": "{enabled: true, requests_per_minute: 100, burst_size: 10}", "middleware": "[]",
			"protocol": `""`, "discovery": `{method: "", interval: 0}`,
			"p2psec": `{enable_tls: false, private_key: ""}`, "limits": "{max_connections: 0, max_streams: 0, max_message_size: 0}",
			"webauth": "true", "static": `""`, "theme": `""`, "title": "Ollama Distributed - Testing",
			"data": "./test-data", "models": "./test-data/models", "cache": `""`, "temp": `""`,
			"maxsize": "1GB", "cleanup": "true", "level": "info", "output": "file", "file": "./test-data/logs/test.log",
			"lmax": `""`, "backups": "0", "age": "0", "compress": "false",
			"mon": "true", "interval": "10", "opt": "true", "prof": "false", "mem": `""`, "cpu": `""`, "gc": "0",
			"cdata": `""`, "cboot": "false", "bind": `""`, "elect": "0s", "beat": "0s", "maxlog": "0",
			"algo": `""`, "lb": `""`, "workers": "0", "queue": "0", "policies": "",
			"auth": "false", "secret": `""`, "exp": "0s", "alg": `""`, "enc": `""`,
			"meta": "{created: 2025-09-03T11:37:03Z, created_by: training-manager, purpose: automated testing}",
		}
	case "production":
		v = map[string]string{
			"debug": "false", "timeout": "1m0s", "tls": "{enabled: true, cert_file: tls/ollama-distributed.crt, key_file: tls/ollama-distributed.key}",
			"origins": `["https://yourdomain.com"]`, "methods": "[]", "cheaders": "[]",
			"rate": "{enabled: true, requests_per_minute: 1000, burst_size: 100}", "middleware": "[]",
			"protocol": `""`, "discovery": `{method: "", interval: 0}`,
			"p2psec": `{enable_tls: true, private_key: ""}`, "limits": "{max_connections: 0, max_streams: 0, max_message_size: 0}",
			"webauth": "true", "static": `""`, "theme": `""`, "title": "Ollama Distributed - Production",
			"data": root + "/var/lib/ollama-distributed", "models": root + "/var/lib/ollama-distributed/models", "cache": `""`, "temp": `""`,
			"maxsize": "100GB", "cleanup": "false", "level": "warn", "output": "file", "file": root + "/var/log/ollama-distributed/service.log",
			"lmax": "500MB", "backups": "10", "age": "30", "compress": "true",
			"mon": "true", "interval": "30", "opt": "true", "prof": "false", "mem": "8GB", "cpu": `"4.0"`, "gc": "0",
			"cdata": `""`, "cboot": "false", "bind": `""`, "elect": "0s", "beat": "0s", "maxlog": "0",
			"algo": `""`, "lb": `""`, "workers": "0", "queue": "0", "policies": "",
			"auth": "true", "secret": `"${JWT_SECRET}"`, "exp": "1h0m0s", "alg": "HS256", "enc": `""`,
			"meta": "{created: 2025-09-03T11:37:03Z, created_by: training-manager, environment: production, notes: Template configuration - customize before deployment}",
		}
	}
	v["env"], v["api"], v["p2p"], v["web"] = env, api, p2p, web
	doc := `# Ollama Distributed Configuration Profile: {env}
name: {env}
description: {env} environment configuration
environment: {env}
api:
    listen: {api}
    debug: {debug}
    timeout: {timeout}
    tls: {tls}
    cors: {enabled: true, origins: {origins}, methods: {methods}, headers: {cheaders}}
    rate_limit: {rate}
    middleware: {middleware}
p2p:
    listen: {p2p}
    bootstrap: []
    protocol: {protocol}
    discovery: {discovery}
    security: {p2psec}
    limits: {limits}
web:
    listen: {web}
    enable_auth: {webauth}
    static_dir: {static}
    theme: {theme}
    title: {title}
storage: {data_dir: {data}, models_dir: {models}, cache_dir: {cache}, temp_dir: {temp}, max_size: {maxsize}, cleanup: {cleanup}}
logging: {level: {level}, output: {output}, file: {file}, max_size: {lmax}, max_backups: {backups}, max_age: {age}, compress: {compress}}
performance:
    monitoring_enabled: {mon}
    metrics_interval: {interval}
    optimization_enabled: {opt}
    profiler_enabled: {prof}
    memory_limit: {mem}
    cpu_limit: {cpu}
    gc_target_percentage: {gc}
consensus: {data_dir: {cdata}, bootstrap: {cboot}, bind_addr: {bind}, election_timeout: {elect}, heartbeat_time: {beat}, max_log_entries: {maxlog}}
scheduler:
    algorithm: {algo}
    load_balancing: {lb}
    worker_count: {workers}
    queue_size: {queue}{policies}
security:
    enable_auth: {auth}
    jwt: {secret: {secret}, expiration: {exp}, algorithm: {alg}}
    encryption: {method: {enc}, key_file: ""}
    certificates: {ca_file: "", cert_file: "", key_file: ""}
metadata: {meta}
`
	return regexp.MustCompile(`\{[a-z0-9]+\}`).ReplaceAllStringFunc(doc, func(m string) string {
		if val, ok := v[m[1:len(m)-1]]; ok {
			return val
		}
		return m
	})
}

func TestUpstreamProfilesValidateAndStart(t *testing.T) {
	host, _ := os.Hostname()
	t.Setenv("JWT_SECRET", strings.Repeat("s", 40))
	for _, env := range []string{"development", "testing", "production"} {
		t.Run(env, func(t *testing.T) {
			root := t.TempDir()
			os.MkdirAll(filepath.Join(root, "tls"), 0o700)
			cert, key := writeSelfSigned(t, filepath.Join(root, "tls"))
			os.Rename(cert, filepath.Join(root, "tls", "ollama-distributed.crt"))
			os.Rename(key, filepath.Join(root, "tls", "ollama-distributed.key"))
			nf := nodeFiles{id: env, dir: root, api: freeAddr(t), p2p: freeAddr(t)}
			web := freeAddr(t)
			nf.cfg = filepath.Join(root, env+".yaml")
			os.WriteFile(nf.cfg, []byte(upstreamProfile(env, root, nf.api, nf.p2p, web)), 0o600)

			code, out, errOut := runCLI("validate", "--config", nf.cfg)
			if code != 0 || !strings.HasSuffix(out, "configuration OK\n") {
				t.Fatalf("validate: exit %d\n%s%s", code, out, errOut)
			}
			for _, want := range []string{
				"api.debug: upstream setting that this node does not use; ignored\n",
				"p2p.discovery: upstream setting that this node does not use; ignored\n",
				"security.encryption: upstream setting that this node does not use; ignored\n",
				"node.id: not set; using ",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("validate output lacks %q:\n%s", want, out)
				}
			}
			if env == "testing" && !strings.Contains(out, `consensus.heartbeat_time: "0s" is not allowed here; using the default 500ms`) {
				t.Errorf("no warning for the zero heartbeat:\n%s", out)
			}
			if code, out, _ := runCLI("validate", "--config", nf.cfg, "--strict"); code != 2 || !strings.Contains(out, "api.debug: ") {
				t.Errorf("--strict: exit %d\n%s", code, out)
			}

			p := startProc(t, nf, t.TempDir())
			scheme := "http"
			client := &http.Client{Timeout: 5 * time.Second}
			if env == "production" {
				scheme = "https"
				client.Transport = &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}
			}
			var health *http.Response
			eventually(t, env+" node answers /health", func() error {
				r, err := client.Get(scheme + "://" + nf.api + "/health")
				if err == nil {
					r.Body.Close()
					health = r
				}
				return err
			})
			if health.StatusCode != 200 {
				t.Errorf("/health: %d", health.StatusCode)
			}
			wantID := regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(host+"-"+env, "-")
			_, m, _ := getJSONWith(client, scheme+"://"+nf.api+"/health")
			if m["node_id"] != wantID {
				t.Errorf("node_id %v, want %s", m["node_id"], wantID)
			}
			// Relative state paths live next to the profile, not in the working directory.
			rel := map[string]string{"development": "dev-data/models", "testing": "test-data/models", "production": "var/lib/ollama-distributed/models"}[env]
			if st, err := os.Stat(filepath.Join(root, rel)); err != nil || !st.IsDir() {
				t.Errorf("%s not created next to the profile: %v", rel, err)
			}
			checkUpstreamCORS(t, client, scheme+"://"+nf.api, env, health)
			p.stop(t)
		})
	}
}

// checkUpstreamCORS checks that upstream's api.cors and api.headers keys
// are applied.
func checkUpstreamCORS(t *testing.T, c *http.Client, base, env string, health *http.Response) {
	t.Helper()
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, base+"/api/tags", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "PUT")
		r, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		return r
	}
	switch env {
	case "development":
		r := preflight("http://example.test")
		if got := r.Header.Get("Access-Control-Allow-Methods"); r.StatusCode != 204 || got != "GET, POST, PUT, DELETE, OPTIONS" {
			t.Errorf("preflight: %d, methods %q", r.StatusCode, got)
		}
		if got := r.Header.Get("Access-Control-Allow-Headers"); got != "*" {
			t.Errorf("allowed headers %q, want *", got)
		}
		if health.Header.Get("X-Environment") != "development" || health.Header.Get("X-API-Version") != "v1" {
			t.Errorf("api.headers not applied: %v", health.Header)
		}
	case "testing":
		if r := preflight("http://localhost:5173"); r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
			t.Errorf("origin pattern http://localhost:* not applied: %d %v", r.StatusCode, r.Header)
		}
		if r := preflight("http://localhost.evil.test"); r.StatusCode != 403 {
			t.Errorf("origin outside the patterns: %d", r.StatusCode)
		}
	case "production":
		if r := preflight("https://yourdomain.com"); r.StatusCode != 204 {
			t.Errorf("production origin: %d", r.StatusCode)
		}
	}
}

func getJSONWith(c *http.Client, url string) (int, map[string]interface{}, error) {
	r, err := c.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer r.Body.Close()
	var m map[string]interface{}
	err = json.NewDecoder(r.Body).Decode(&m)
	return r.StatusCode, m, err
}

func TestHelpOfEveryCommand(t *testing.T) {
	for _, args := range [][]string{
		{"--help"}, {"-h"}, {"help"}, {"validate", "--help"}, {"validate", "-h"}, {"start", "--help"},
		{"start", "--config", "x.yaml", "--help"}, {"version", "--help"}, {"--version", "--help"}, {"help", "--help"},
	} {
		code, out, errOut := runCLI(args...)
		if code != 0 || !strings.Contains(out, "ollama-distributed") || !strings.Contains(out, "--strict") || errOut != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	if code, _, _ := runCLI("frobnicate", "--help"); code != exitUsage {
		t.Errorf("unknown command with --help: exit %d, want %d", code, exitUsage)
	}
}
