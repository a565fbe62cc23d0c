package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the node binary: with OD_TEST_RUN_MAIN=1 it runs
// main's command line instead of the tests, so the process tests below start
// real, separate node processes without a separate build step.
func TestMain(m *testing.M) {
	if os.Getenv("OD_TEST_RUN_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const waitLimit = 20 * time.Second

func eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after %s: %v", what, waitLimit, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

type nodeFiles struct {
	id, cfg, dir, api, p2p string
}

// writeConfig writes a node config in the training profile layout.
func writeConfig(t *testing.T, root, id string, bootstrap []string, extra string) nodeFiles {
	t.Helper()
	nf := nodeFiles{id: id, dir: filepath.Join(root, id), api: freeAddr(t), p2p: freeAddr(t)}
	boot, _ := json.Marshal(bootstrap)
	if bootstrap == nil {
		boot = []byte("[]")
	}
	doc := fmt.Sprintf(`name: "test-%[1]s"
environment: testing
node: {id: %[1]s, tags: {role: test}}
api: {listen: "%[2]s", timeout: 10s}
p2p: {listen: "%[3]s", bootstrap: %[4]s}
storage: {data_dir: "%[5]s/data", models_dir: "%[5]s/models", cache_dir: "%[5]s/cache", max_size: 1GB}
logging: {level: info, output: file, file: "%[5]s/log/node.log"}
consensus: {bootstrap: %[6]v, data_dir: "%[5]s/consensus", heartbeat_time: 100ms, election_timeout: 1s}
cluster: {expected_size: 3, secret: %[8]q}
%[7]s`, id, nf.api, nf.p2p, boot, nf.dir, bootstrap == nil, extra, testClusterSecret)
	nf.cfg = filepath.Join(root, id+".yaml")
	if err := os.WriteFile(nf.cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return nf
}

func TestVersionAndHelp(t *testing.T) {
	for _, a := range []string{"--version", "version"} {
		code, out, _ := runCLI(a)
		if code != 0 || out != "ollama-distributed version "+version+" (reference)\n" {
			t.Errorf("%s: %d %q", a, code, out)
		}
	}
	code, out, _ := runCLI("--help")
	if code != 0 || !strings.Contains(out, "ollama-distributed") || !strings.Contains(out, "--dry-run") {
		t.Errorf("--help: %d %q", code, out)
	}
	if code, _, errOut := runCLI("frobnicate"); code == 0 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
	if code, _, _ := runCLI(); code == 0 {
		t.Error("no arguments exits 0")
	}
	if code, _, _ := runCLI("validate"); code == 0 {
		t.Error("validate without --config exits 0")
	}
}

func TestValidate(t *testing.T) {
	root := t.TempDir()
	good := writeConfig(t, root, "good", nil, "")
	code, out, _ := runCLI("validate", "--config", good.cfg)
	if code != 0 || out != "configuration OK\n" {
		t.Errorf("good file: %d %q", code, out)
	}
	if _, err := os.Stat(good.dir); !os.IsNotExist(err) {
		t.Error("validate created the state directories")
	}

	bad := filepath.Join(root, "bad.yaml")
	os.WriteFile(bad, []byte("node: {id: 'no spaces'}\nstorage: {data_dir: [relative]}\nlogging: {level: loud}\nextra_key: 1\n"), 0o600)
	code, out, _ = runCLI("validate", "--config", bad)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 2 || len(lines) != 4 {
		t.Fatalf("bad file: exit %d, %d lines: %q", code, len(lines), out)
	}
	for _, key := range []string{"extra_key: ", "node.id: ", "storage.data_dir: ", "logging.level: "} {
		if !strings.Contains(out, "\n"+key) && !strings.HasPrefix(out, key) {
			t.Errorf("no line for %s in %q", key, out)
		}
	}

	unparsable := filepath.Join(root, "broken.yaml")
	os.WriteFile(unparsable, []byte("node: [\n"), 0o600)
	for _, f := range []string{unparsable, filepath.Join(root, "missing.yaml")} {
		if code, _, errOut := runCLI("validate", "--config", f); code != 1 || errOut == "" {
			t.Errorf("%s: exit %d %q", f, code, errOut)
		}
	}
}

func TestExamplesValidate(t *testing.T) {
	files, _ := filepath.Glob("../../examples/*.yaml")
	if len(files) == 0 {
		t.Fatal("no example configs")
	}
	for _, f := range files {
		if code, out, errOut := runCLI("validate", "--config", f, "--strict"); code != 0 || out != "configuration OK\n" {
			t.Errorf("%s: %d %s %s", f, code, out, errOut)
		}
	}
}

func TestStartFailures(t *testing.T) {
	root := t.TempDir()
	bad := filepath.Join(root, "bad.yaml")
	os.WriteFile(bad, []byte("node: {id: n}\nstorage: {data_dir: /x}\napi: {listen: nowhere}\n"), 0o600)
	code, _, errOut := runCLI("start", "--config", bad)
	if code != 2 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "api.listen") {
		t.Errorf("bad config: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runCLI("start", "--config", filepath.Join(root, "missing.yaml")); code != 1 || strings.Count(errOut, "\n") != 1 {
		t.Errorf("missing config: exit %d, stderr %q", code, errOut)
	}

	nf := writeConfig(t, root, "busy", nil, "")
	ln, err := net.Listen("tcp", nf.p2p)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, args := range [][]string{{"start", "--config", nf.cfg}, {"start", "--config", nf.cfg, "--dry-run"}} {
		code, _, errOut := runCLI(args...)
		if code != 1 || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "p2p.listen "+nf.p2p) {
			t.Errorf("%v with p2p port taken: exit %d, stderr %q", args, code, errOut)
		}
	}
	// Nothing was left listening on the API port.
	if c, err := net.Dial("tcp", nf.api); err == nil {
		c.Close()
		t.Error("api port still open after a failed start")
	}
}

func TestDryRun(t *testing.T) {
	root := t.TempDir()
	nf := writeConfig(t, root, "dry", []string{"127.0.0.1:1"}, "")
	code, out, errOut := runCLI("start", "--config", nf.cfg, "--dry-run")
	if code != 0 || !strings.Contains(out, "would start node dry") || !strings.Contains(out, nf.api) || !strings.Contains(out, "would be created") {
		t.Errorf("dry run: %d %q %q", code, out, errOut)
	}
	if _, err := os.Stat(nf.dir); !os.IsNotExist(err) {
		t.Error("dry run created state directories")
	}
}

// proc is one node process.
type proc struct {
	nf   nodeFiles
	cmd  *exec.Cmd
	done chan error
	out  *bytes.Buffer
}

func startProc(t *testing.T, nf nodeFiles, workDir string) *proc {
	t.Helper()
	p := &proc{nf: nf, done: make(chan error, 1), out: &bytes.Buffer{}}
	p.cmd = exec.Command(os.Args[0], "start", "--config", nf.cfg)
	p.cmd.Env = append(os.Environ(), "OD_TEST_RUN_MAIN=1")
	p.cmd.Dir = workDir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// stop sends SIGTERM and checks a clean exit within the contract's 10 s.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("%s exited with %v after SIGTERM; output:\n%s", p.nf.id, err, p.out)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s still running 10 s after SIGTERM", p.nf.id)
	}
}

func getJSON(url string) (int, map[string]interface{}, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var m map[string]interface{}
	err = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m, err
}

func post(t *testing.T, url, body string) (int, http.Header, map[string]interface{}) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]interface{}
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, resp.Header, m
}

// waitAll polls until every process reports size and health with one leader.
func waitAll(t *testing.T, ps []*proc, size int, health string) string {
	t.Helper()
	var leader string
	eventually(t, fmt.Sprintf("size %d %s", size, health), func() error {
		var leaders []string
		for _, p := range ps {
			_, st, err := getJSON("http://" + p.nf.api + "/api/distributed/status")
			if err != nil {
				return err
			}
			if st["cluster_size"] != float64(size) || st["health"] != health {
				return fmt.Errorf("%s: size %v health %v", p.nf.id, st["cluster_size"], st["health"])
			}
			leaders = append(leaders, fmt.Sprint(st["leader"], "/", st["term"]))
		}
		for _, l := range leaders {
			if l != leaders[0] {
				return fmt.Errorf("leaders/terms differ: %v", leaders)
			}
		}
		leader = leaders[0]
		return nil
	})
	return leader
}

// TestThreeProcesses is the contract test of issue 3: three real node
// processes form a cluster, lose members, regain them, and move a model.
func TestThreeProcesses(t *testing.T) {
	root, work := t.TempDir(), t.TempDir()
	n1 := writeConfig(t, root, "node-1", nil, "")
	n2 := writeConfig(t, root, "node-2", []string{n1.p2p}, "")
	n3 := writeConfig(t, root, "node-3", []string{n1.p2p}, "")
	ps := []*proc{startProc(t, n1, work), startProc(t, n2, work), startProc(t, n3, work)}

	first := waitAll(t, ps, 3, "healthy")

	// Stop one: the other two are degraded and agree on a leader.
	ps[2].stop(t)
	waitAll(t, ps[:2], 2, "degraded")
	// Stop a second: the last one is unhealthy and /health says 503.
	ps[1].stop(t)
	eventually(t, "node-1 unhealthy", func() error {
		code, h, err := getJSON("http://" + n1.api + "/health")
		if err != nil || code != 503 || h["status"] != "unhealthy" {
			return fmt.Errorf("%d %v %v", code, h, err)
		}
		return nil
	})
	// Restart both: healthy again.
	ps[1], ps[2] = startProc(t, n2, work), startProc(t, n3, work)
	if again := waitAll(t, ps, 3, "healthy"); strings.Split(again, "/")[0] != strings.Split(first, "/")[0] {
		t.Errorf("leader %s before, %s after the restarts", first, again)
	}

	// A model seeded on node-1, pulled onto node-2, generated through node-3.
	os.MkdirAll(filepath.Join(n1.dir, "models", "manifests"), 0o755)
	os.WriteFile(filepath.Join(n1.dir, "models", "manifests", "tiny.json"), []byte(`{"name": "tiny", "size": 1234}`), 0o644)
	eventually(t, "pull onto node-2", func() error {
		if code, _, body := post(t, "http://"+n2.api+"/api/pull", `{"name": "tiny", "stream": false}`); code != 200 {
			return fmt.Errorf("%d %v", code, body)
		}
		return nil
	})
	eventually(t, "node-3 sees two replicas", func() error {
		_, m, err := getJSON("http://" + n3.api + "/api/distributed/models")
		if err != nil {
			return err
		}
		if ms, _ := m["models"].([]interface{}); len(ms) != 1 || ms[0].(map[string]interface{})["replicas"] != 2.0 {
			return fmt.Errorf("%v", m)
		}
		return nil
	})
	code, hdr, g := post(t, "http://"+n3.api+"/api/generate", `{"model": "tiny", "prompt": "hello", "stream": false}`)
	if by := hdr.Get("X-Ollama-Distributed-Node"); code != 200 || g["done"] != true || (by != "node-1" && by != "node-2") {
		t.Errorf("generate through node-3: %d served by %q: %v", code, by, g)
	}

	for _, p := range ps {
		p.stop(t)
	}
	// Logs went to the configured file as JSON lines; nothing went to the
	// working directory.
	data, err := os.ReadFile(filepath.Join(n1.dir, "log", "node.log"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	var rec map[string]interface{}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &rec); err != nil || rec["msg"] != "stopped" || rec["node_id"] != "node-1" {
		t.Errorf("last log line %q (%v)", lines[len(lines)-1], err)
	}
	if entries, _ := os.ReadDir(work); len(entries) != 0 {
		t.Errorf("the working directory got files: %v", entries)
	}
	if _, err := os.Stat(filepath.Join(n2.dir, "consensus", "membership.json")); err != nil {
		t.Errorf("membership state not kept in consensus.data_dir: %v", err)
	}
}

// TestSIGINT checks the other stop signal and console logging.
func TestSIGINT(t *testing.T) {
	root := t.TempDir()
	nf := writeConfig(t, root, "solo", nil, "")
	data, _ := os.ReadFile(nf.cfg)
	doc := strings.Replace(string(data), `output: file, file: "`+nf.dir+`/log/node.log"`, "output: console", 1)
	if err := os.WriteFile(nf.cfg, []byte(doc), 0o600); err != nil || doc == string(data) {
		t.Fatalf("cannot switch the log to console: %v", err)
	}
	p := startProc(t, nf, root)
	eventually(t, "node answers", func() error {
		_, _, err := getJSON("http://" + nf.api + "/health")
		return err
	})
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("exit after SIGINT: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after SIGINT")
	}
	if !strings.Contains(p.out.String(), `"msg":"node started"`) || !strings.Contains(p.out.String(), `"signal":"interrupt"`) {
		t.Errorf("console log:\n%s", p.out)
	}
}
