package logx

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileLogLevelsAndFields(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "node.log")
	l, err := New("warn", "file", file)
	if err != nil {
		t.Fatal(err)
	}
	n := l.With("node_id", "n1")
	n.Info("hidden")
	n.Warn("shown", "count", 3, "error", errors.New("boom"))
	if !n.Enabled(Error) || n.Enabled(Info) {
		t.Error("Enabled disagrees with the level")
	}
	l.Close()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 1 {
		t.Fatalf("want 1 line, got %q", data)
	}
	var rec map[string]interface{}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]interface{}{"msg": "shown", "level": "warn", "node_id": "n1", "count": 3.0, "error": "boom"} {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}
	if _, ok := rec["time"]; !ok {
		t.Error("no time field")
	}
	if st, _ := os.Stat(file); st.Mode().Perm()&0o007 != 0 {
		t.Errorf("log file is world-accessible: %v", st.Mode())
	}
}

func TestBadFile(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o600)
	if _, err := New("info", "both", filepath.Join(blocker, "x.log")); err == nil {
		t.Error("log under a regular file accepted")
	}
	Discard().Error("nothing")
}
