package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// secretLine sets cluster.secret, so that the empty-secret warning (see
// security_test.go) does not join the warnings these tests count.
var secretLine = "cluster: {secret: '" + strings.Repeat("s", 32) + "'}\n"

func TestUnknownNestedKeysWarn(t *testing.T) {
	doc := base + secretLine + "api: {debug: true, listn: x}\np2p: {discovery: {method: mdns}}\nmetadata: {anything: {goes: [1]}}\n"
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("nested unknown keys are not problems: %v", err)
	}
	want := []string{
		"api.debug: upstream setting that this node does not use; ignored",
		"api.listn: unknown key; ignored",
		"p2p.discovery: upstream setting that this node does not use; ignored",
	}
	var got []string
	for _, w := range c.Warnings {
		got = append(got, w.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := Parse([]byte(base + "colour: blue\n")); err == nil {
		t.Error("unknown top-level key is not a problem")
	}
	_, err = ParseWith([]byte(doc), Options{Strict: true})
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 3 || ps[1].String() != want[1] {
		t.Errorf("strict: %v", err)
	}
}

func TestDefaultNodeID(t *testing.T) {
	cases := map[string]string{
		"lab01":                             "lab01-testing",
		"Lab Host.example.org":              "Lab-Host-example-org-testing",
		strings.Repeat("h", 70):             strings.Repeat("h", 63),
		"x" + strings.Repeat(".", 61) + "y": "x-y-testing",
	}
	for host, want := range cases {
		h := host
		c, err := ParseWith([]byte("environment: testing\nstorage: {data_dir: /srv}\n"+secretLine), Options{Hostname: func() (string, error) { return h, nil }})
		if err != nil || c.Node.ID != want {
			t.Errorf("hostname %q: id %q (%v), want %q", host, c.Node.ID, err, want)
		}
		if len(c.Warnings) != 1 || c.Warnings[0].Key != "node.id" || !strings.Contains(c.Warnings[0].Msg, want) {
			t.Errorf("hostname %q: warnings %v", host, c.Warnings)
		}
	}
	c, _ := Parse([]byte(base + secretLine))
	if len(c.Warnings) != 0 {
		t.Errorf("a set node.id warns: %v", c.Warnings)
	}
}

func TestRelativePathsResolveAgainstTheFile(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "profiles")
	os.MkdirAll(filepath.Join(sub, "tls"), 0o700)
	for _, f := range []string{"tls/c.pem", "tls/k.pem"} {
		os.WriteFile(filepath.Join(sub, f), []byte("x"), 0o600)
	}
	path := filepath.Join(sub, "dev.yaml")
	os.WriteFile(path, []byte(`node: {id: n1}
storage: {data_dir: ./data, models_dir: data/models, cache_dir: ../cache}
logging: {output: file, file: ./logs/n1.log}
consensus: {data_dir: ./consensus}
api: {tls: {enabled: true, cert_file: tls/c.pem, key_file: ./tls/k.pem}}
`), 0o600)
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir) // the working directory must not matter
	c, err := Load("profiles/dev.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for got, want := range map[string]string{
		c.Storage.DataDir: sub + "/data", c.Storage.ModelsDir: sub + "/data/models", c.Storage.CacheDir: dir + "/cache",
		c.Logging.File: sub + "/logs/n1.log", c.Consensus.DataDir: sub + "/consensus",
		c.API.TLS.CertFile: sub + "/tls/c.pem", c.API.TLS.KeyFile: sub + "/tls/k.pem",
	} {
		if got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
}

func TestUpstreamZeroValuesAndEnv(t *testing.T) {
	doc := base + secretLine + "consensus: {heartbeat_time: 0s, election_timeout: 0s}\nscheduler: {algorithm: '', worker_count: 0, queue_size: 0}\n" +
		"security: {enable_auth: true, jwt: {secret: '${OD_TEST_SECRET}', expiration: 0s, algorithm: HS256}}\n"
	t.Setenv("OD_TEST_SECRET", strings.Repeat("k", 32))
	c, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if c.Consensus.HeartbeatTime.D() != 500*time.Millisecond || c.Consensus.ElectionTimeout.D() != 3*time.Second ||
		c.Scheduler.Algorithm != "round_robin" || c.Scheduler.WorkerCount != 4 || c.Scheduler.QueueSize != 0 ||
		c.Security.JWT.Expiration.D() != 24*time.Hour || c.Security.JWT.Secret != strings.Repeat("k", 32) {
		t.Errorf("zero values: %+v %+v %+v", c.Consensus, c.Scheduler, c.Security.JWT)
	}
	if len(c.Warnings) != 5 {
		t.Errorf("want 5 warnings, got %v", c.Warnings)
	}
	os.Unsetenv("OD_TEST_SECRET")
	got := problemsOf(t, doc)
	if len(got) == 0 || got[0] != "security.jwt.secret: names the environment variable OD_TEST_SECRET, which is not set" {
		t.Errorf("unset variable: %q", got)
	}
	for doc, want := range map[string]string{
		base + secretLine + "security: {jwt: {algorithm: RS256}}\n":                `security.jwt.algorithm: must be HS256, the only algorithm this node signs and checks (got "RS256")`,
		base + secretLine + "api: {cors: {methods: ['GET POST']}}\n":               `api.cors.methods[0]: must be an HTTP method like GET (got "GET POST")`,
		base + secretLine + "api: {headers: {'X Bad': v}}\n":                       `api.headers: "X Bad" is not a header name`,
		base + secretLine + "api: {headers: {Access-Control-Allow-Origin: '*'}}\n": "api.headers: Access-Control-Allow-Origin is set by api.cors, not here",
		base + secretLine + "api: {headers: {x-frame-options: SAMEORIGIN}}\n":      "api.headers: x-frame-options is set by the node and cannot be changed",
	} {
		if got := problemsOf(t, doc); len(got) != 1 || got[0] != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
