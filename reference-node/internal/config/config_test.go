package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const good = `
name: test
environment: testing
node:
  id: node-1
  tags: {zone: a}
api:
  listen: 127.0.0.1:18080
  advertise: 10.0.0.1:18080
p2p:
  listen: 127.0.0.1:14001
  bootstrap: ["10.0.0.2:14001"]
web:
  listen: 127.0.0.1:18081
storage:
  data_dir: /var/lib/od/node-1
  max_size: 2GB
logging:
  level: debug
  output: both
  file: /var/log/od/node-1.log
consensus:
  heartbeat_time: 200ms
  election_timeout: 1s
security:
  enable_auth: true
  api_keys: ["0123456789abcdef0123456789abcdef"]
  jwt:
    secret: "0123456789abcdef0123456789abcdef-secret"
performance:
  metrics_interval: 5
metadata:
  anything: [1, {deep: true}]
`

func TestGoodFile(t *testing.T) {
	c, err := Parse([]byte(good))
	if err != nil {
		t.Fatalf("unexpected problems: %v", err)
	}
	checks := []struct {
		name string
		got  interface{}
		want interface{}
	}{
		{"api.advertise", c.API.Advertise, "10.0.0.1:18080"},
		{"p2p.advertise defaults to listen", c.P2P.Advertise, "127.0.0.1:14001"},
		{"models_dir default", c.Storage.ModelsDir, "/var/lib/od/node-1/models"},
		{"consensus dir default", c.Consensus.DataDir, "/var/lib/od/node-1/consensus"},
		{"max_size", int64(c.Storage.MaxSize), int64(2e9)},
		{"heartbeat", c.Consensus.HeartbeatTime.D(), 200 * time.Millisecond},
		{"api.timeout default", c.API.Timeout.D(), 30 * time.Second},
		{"metrics_interval seconds", c.Performance.MetricsInterval.D(), 5 * time.Second},
		{"cors default", strings.Join(c.API.CORS.Origins, ","), "*"},
		{"rate default", c.API.RateLimit.RequestsPerMinute, 600},
		{"scheduler default", c.Scheduler.Algorithm, "round_robin"},
		{"jwt expiration default", c.Security.JWT.Expiration.D(), 24 * time.Hour},
		{"tags", c.Node.Tags["zone"], "a"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestExampleConfigsAreValid(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) != 3 {
		t.Fatalf("want 3 example configs, found %v", files)
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// problemsOf parses a config strictly (warnings are problems, as for the
// collection's own files) and returns the problem lines.
func problemsOf(t *testing.T, doc string) []string {
	t.Helper()
	_, err := ParseWith([]byte(doc), Options{Strict: true})
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("want Problems, got %v", err)
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

const base = "node: {id: n1}\nstorage: {data_dir: /srv/n1}\n"

func TestEveryRule(t *testing.T) {
	tmp := t.TempDir()
	aFile := filepath.Join(tmp, "file")
	os.WriteFile(aFile, []byte("x"), 0o600)
	cases := []struct {
		doc  string
		want string
	}{
		{"storage: {data_dir: /srv/n1}\n", "node.id: not set; using"},
		{"node: {id: 'bad id!'}\nstorage: {data_dir: /srv/n1}\n", `node.id: must match [A-Za-z0-9_-]{1,63} (got "bad id!")`},
		{"node: {id: " + strings.Repeat("a", 64) + "}\nstorage: {data_dir: /srv}\n", "node.id: must match"},
		{"node: {id: n1}\n", "storage.data_dir: is required"},
		{"node: {id: n1}\nstorage: {data_dir: rel/dir}\n", `storage.data_dir: must be an absolute path (got "rel/dir")`},
		{"node: {id: n1}\nstorage: {data_dir: " + aFile + "}\n", "storage.data_dir: " + aFile + " exists and is not a directory"},
		{"node: {id: n1}\nstorage: {data_dir: /srv, models_dir: models}\n", `storage.models_dir: must be an absolute path (got "models")`},
		{"node: {id: n1}\nstorage: {data_dir: /srv, max_size: lots}\n", `storage.max_size: "lots" is not a size (use a number with a unit, like 500MB or 10GB)`},
		{"node: {id: n1}\nstorage: {data_dir: /srv, max_size: 0}\n", "storage.max_size: must be greater than 0"},
		{base + "environment: staging\n", `environment: must be one of development, testing, production (got "staging")`},
		{base + "api: {listen: localhost}\n", `api.listen: must be host:port (got "localhost")`},
		{base + "api: {listen: '127.0.0.1:99999'}\n", `api.listen: port must be a number between 1 and 65535 (got "127.0.0.1:99999")`},
		{base + "api: {listen: '0.0.0.0:18080', advertise: '0.0.0.0:18080'}\n", "api.advertise: must name a host that other nodes can reach, not 0.0.0.0"},
		{base + "api: {timeout: 10}\n", `api.timeout: "10" is not a duration (use a Go duration like 500ms, 30s or 24h)`},
		{base + "api: {timeout: 0s}\n", "api.timeout: must be greater than 0 (got 0s)"},
		{base + "api: {tls: {enabled: true}}\n", "api.tls.cert_file: is required when api.tls.enabled is true"},
		{base + "api: {tls: {enabled: true, cert_file: /nope.pem, key_file: " + aFile + "}}\n", "api.tls.cert_file: file /nope.pem does not exist"},
		{base + "api: {tls: {enabled: maybe}}\n", "api.tls.enabled: must be true or false"},
		{base + "api: {cors: {origins: ['']}}\n", "api.cors.origins[0]: must not be empty"},
		{base + "api: {cors: {origins: '*'}}\n", "api.cors.origins: must be a list of strings"},
		{base + "api: {rate_limit: {requests_per_minute: 0}}\n", "api.rate_limit.requests_per_minute: must be at least 1 (got 0)"},
		{base + "api: {rate_limit: {burst_size: many}}\n", "api.rate_limit.burst_size: must be an integer"},
		{base + "p2p: {listen: '127.0.0.1:8080'}\n", "p2p.listen: must not use the same port as api.listen (127.0.0.1:8080)"},
		{base + "p2p: {bootstrap: ['10.0.0.1']}\n", `p2p.bootstrap[0]: must be host:port (got "10.0.0.1")`},
		{base + "p2p: {bootstrap: [':4001']}\n", `p2p.bootstrap[0]: must name a host that other nodes can reach (got ":4001")`},
		{base + "web: {listen: 'x'}\n", `web.listen: must be host:port (got "x")`},
		{base + "web: {listen: '0.0.0.0:4001'}\n", "web.listen: must not use the same port as p2p.listen (127.0.0.1:4001)"},
		{base + "logging: {level: verbose}\n", `logging.level: must be one of debug, info, warn, error (got "verbose")`},
		{base + "logging: {output: syslog}\n", `logging.output: must be one of console, file, both (got "syslog")`},
		{base + "logging: {output: file}\n", "logging.file: is required when logging.output is file"},
		{base + "logging: {output: both, file: x.log}\n", `logging.file: must be an absolute path (got "x.log")`},
		{base + "logging: {file: [a]}\n", "logging.file: must be a string"},
		{base + "consensus: {heartbeat_time: 2s, election_timeout: 1s}\n", "consensus.election_timeout: must be longer than consensus.heartbeat_time (2s)"},
		{base + "consensus: {heartbeat_time: -1s}\n", "consensus.heartbeat_time: must be greater than 0 (got -1s)"},
		{base + "consensus: {data_dir: state}\n", `consensus.data_dir: must be an absolute path (got "state")`},
		{base + "cluster: {expected_size: -1}\n", "cluster.expected_size: must be at least 0 (got -1)"},
		{base + "scheduler: {algorithm: random}\n", `scheduler.algorithm: must be one of round_robin, least_loaded (got "random")`},
		{base + "scheduler: {worker_count: 0}\n", `scheduler.worker_count: "0" is not allowed here; using the default 4`},
		{base + "scheduler: {worker_count: -1}\n", "scheduler.worker_count: must be at least 1 (got -1)"},
		{base + "scheduler: {queue_size: -5}\n", "scheduler.queue_size: must be at least 0 (got -5)"},
		{base + "security: {enable_auth: true}\n", "security.jwt.secret: is required when security.enable_auth is true"},
		{base + "security: {enable_auth: true, jwt: {secret: short}}\n", "security.jwt.secret: must be at least 32 characters when security.enable_auth is true (got 5)"},
		{base + "security: {api_keys: [short-key]}\n", "security.api_keys[0]: must be at least 32 characters (got 9)"},
		{base + "security: {jwt: {expiration: forever}}\n", `security.jwt.expiration: "forever" is not a duration (use a Go duration like 500ms, 30s or 24h)`},
		{base + "backend: {ollama_url: 'localhost:11434'}\n", `backend.ollama_url: must be an http:// or https:// URL (got "localhost:11434")`},
		{base + "performance: {metrics_interval: often}\n", `performance.metrics_interval: "often" is not a number of seconds or a duration like 10s`},
		{base + "performance: {metrics_interval: -3}\n", "performance.metrics_interval: must not be negative"},
		{"storage: {data_dir: /srv}\nnode: {id: n1, tags: {a: {b: c}}}\n", "node.tags: must be a mapping of strings to strings"},
		{base + "colour: blue\n", "colour: unknown key"},
		{base + "api: {listn: '127.0.0.1:1'}\n", "api.listn: unknown key"},
		{base + "api: 5\n", "api: must be a mapping of keys"},
		{base + "node: {id: n2}\n", "node: is set more than once"},
	}
	for _, c := range cases {
		got := problemsOf(t, c.doc)
		found := false
		for _, g := range got {
			if strings.HasPrefix(g, c.want) {
				found = true
			}
		}
		if !found {
			t.Errorf("config:\n%s\nwant a problem starting with %q, got %q", c.doc, c.want, got)
		}
	}
}

func TestAllProblemsReported(t *testing.T) {
	got := problemsOf(t, "environment: x\nlogging: {level: y}\nscheduler: {algorithm: z}\nextra: 1\n")
	for _, key := range []string{"extra:", "environment:", "node.id:", "storage.data_dir:", "logging.level:", "scheduler.algorithm:"} {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, key)
		}
		if !found {
			t.Errorf("no problem for %s in %q", key, got)
		}
	}
}

func TestUnreadable(t *testing.T) {
	if _, err := Load("/does/not/exist.yaml"); !errors.Is(err, ErrUnreadable) {
		t.Errorf("missing file: got %v", err)
	}
	if _, err := Parse([]byte("node: [unclosed\n")); !errors.Is(err, ErrUnreadable) {
		t.Errorf("bad YAML: got %v", err)
	}
	var ps Problems
	if _, err := Parse([]byte("- a list\n")); !errors.As(err, &ps) || ps[0].String() != "(top level): must be a mapping of keys" {
		t.Errorf("list document: got %v", err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"10GB": 10e9, "512MB": 512e6, "1.5GB": 15e8, "1GiB": 1 << 30, "100": 100, "2 kb": 2000} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GB", "10XB", "-1GB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) should fail", in)
		}
	}
	if FormatSize(10e9) != "10GB" || FormatSize(1500) != "1500B" {
		t.Errorf("FormatSize: %s %s", FormatSize(10e9), FormatSize(1500))
	}
}
