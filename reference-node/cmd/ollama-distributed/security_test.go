package main

import (
	"os"
	"strings"
	"testing"
)

const testClusterSecret = "c-0123456789abcdef0123456789abcdef"

// TestClusterSecretWarning: without cluster.secret, validate warns (a line
// before "configuration OK", exit 0) and start logs the warning; with
// --strict both refuse the file (exit 2). A short secret is a problem and
// is never printed.
func TestClusterSecretWarning(t *testing.T) {
	root := t.TempDir()
	nf := writeConfig(t, root, "nosecret", nil, "")
	data, _ := os.ReadFile(nf.cfg)
	open := strings.Replace(string(data), ", secret: \""+testClusterSecret+"\"", "", 1)
	if open == string(data) {
		t.Fatal("cannot remove the secret from the test config")
	}
	if err := os.WriteFile(nf.cfg, []byte(open), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, _ := runCLI("validate", "--config", nf.cfg)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[0], "cluster.secret: is empty") || lines[1] != "configuration OK" {
		t.Errorf("validate without a secret: exit %d, %q", code, out)
	}
	code, out, _ = runCLI("validate", "--config", nf.cfg, "--strict")
	if code != 2 || !strings.HasPrefix(out, "cluster.secret: is empty") || strings.Contains(out, "configuration OK") {
		t.Errorf("validate --strict without a secret: exit %d, %q", code, out)
	}
	for _, args := range [][]string{{"start", "--strict", "--config", nf.cfg}, {"start", "--config", nf.cfg, "--dry-run", "--strict"}} {
		if code, _, errOut := runCLI(args...); code != 2 || !strings.Contains(errOut, "cluster.secret: is empty") {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	if code, _, errOut := runCLI("start", "--config", nf.cfg, "--dry-run"); code != 0 {
		t.Errorf("start --dry-run without a secret (not strict): exit %d %q", code, errOut)
	}

	short := strings.Replace(string(data), testClusterSecret, "short-secret-value", 1)
	os.WriteFile(nf.cfg, []byte(short), 0o600)
	code, out, _ = runCLI("validate", "--config", nf.cfg)
	if code != 2 || !strings.Contains(out, "cluster.secret: must be at least 32 characters (got 18)") || strings.Contains(out, "short-secret-value") {
		t.Errorf("short secret: exit %d, %q", code, out)
	}

	// A started node logs the warning once at warn level.
	os.WriteFile(nf.cfg, []byte(open), 0o600)
	p := startProc(t, nf, root)
	eventually(t, "node answers", func() error {
		_, _, err := getJSON("http://" + nf.api + "/health")
		return err
	})
	p.stop(t)
	log, _ := os.ReadFile(nf.dir + "/log/node.log")
	if n := strings.Count(string(log), `"key":"cluster.secret"`); n != 1 || !strings.Contains(string(log), `"level":"warn","msg":"configuration warning"`) {
		t.Errorf("want one configuration warning for cluster.secret at warn level, got %d in:\n%s", n, log)
	}
}

// TestOneWarningsPath pins that the empty-secret warning and the warnings
// found while loading (unknown nested key, defaulted node.id) take one path:
// validate prints them all before "configuration OK", and --strict makes
// every one of them a problem for validate and start alike.
func TestOneWarningsPath(t *testing.T) {
	root := t.TempDir()
	nf := writeConfig(t, root, "warnall", nil, "web: {theme: dark}\n")
	data, _ := os.ReadFile(nf.cfg)
	doc := strings.Replace(string(data), ", secret: \""+testClusterSecret+"\"", "", 1)
	doc = strings.Replace(doc, "node: {id: warnall, tags: {role: test}}", "node: {tags: {role: test}}", 1)
	if err := os.WriteFile(nf.cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	keys := []string{"web.theme: ", "node.id: not set", "cluster.secret: is empty"}
	code, out, _ := runCLI("validate", "--config", nf.cfg)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || lines[3] != "configuration OK" {
		t.Fatalf("validate: exit %d, %q", code, out)
	}
	for i, k := range keys {
		if !strings.HasPrefix(lines[i], k) {
			t.Errorf("validate line %d: %q, want %q...", i, lines[i], k)
		}
	}
	code, out, _ = runCLI("validate", "--config", nf.cfg, "--strict")
	for _, k := range keys {
		if code != 2 || !strings.Contains(out, k) || strings.Contains(out, "configuration OK") {
			t.Errorf("validate --strict: exit %d, want %q in %q", code, k, out)
		}
	}
	code, _, errOut := runCLI("start", "--config", nf.cfg, "--dry-run", "--strict")
	for _, k := range keys {
		if code != 2 || !strings.Contains(errOut, k) {
			t.Errorf("start --strict: exit %d, want %q in %q", code, k, errOut)
		}
	}
}
