package models

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"llama3":               "llama3:latest",
		"llama3:8b":            "llama3:8b",
		" phi ":                "phi:latest",
		"library/llama3":       "library/llama3:latest",
		"host:5000/org/model":  "host:5000/org/model:latest",
		"host:5000/org/m:q4_0": "host:5000/org/m:q4_0",
		"":                     "",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	if got := FileName("org/m:1b"); got != "org_m_1b.json" {
		t.Errorf("FileName: %s", got)
	}
}

func TestStore(t *testing.T) {
	dir := t.TempDir()
	s := NewStore(dir)
	if err := s.Init(); err != nil {
		t.Fatal(err)
	}
	if got := s.List(); got == nil || len(got) != 0 {
		t.Errorf("empty store lists %v", got)
	}
	// A hand-written manifest with only a name gets defaults.
	os.WriteFile(filepath.Join(s.Dir(), "anything.json"), []byte(`{"name": "tiny"}`), 0o644)
	// Broken and nameless files are ignored.
	os.WriteFile(filepath.Join(s.Dir(), "broken.json"), []byte(`{`), 0o644)
	os.WriteFile(filepath.Join(s.Dir(), "noname.json"), []byte(`{"size": 1}`), 0o644)
	os.WriteFile(filepath.Join(s.Dir(), "notes.txt"), []byte(`{"name": "ignored"}`), 0o644)
	m, err := s.Get("tiny:latest")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(m.Digest, "sha256:") || m.Details.Format != "gguf" || m.ModifiedAt.IsZero() || m.Model != "tiny:latest" {
		t.Errorf("defaults: %+v", m)
	}
	if err := s.Put(Manifest{Name: "big:7b", Size: 7e9, Details: Details{Family: "llama"}}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Names(), ","); got != "big:7b,tiny:latest" {
		t.Errorf("names %s", got)
	}
	if s.TotalSize() != 7e9 {
		t.Errorf("total %d", s.TotalSize())
	}
	// A duplicate of tiny in another file: delete removes both.
	os.WriteFile(filepath.Join(s.Dir(), "zz-copy.json"), []byte(`{"name": "tiny:latest"}`), 0o644)
	if err := s.Delete("tiny"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get("tiny"); !errors.Is(err, ErrNotFound) {
		t.Errorf("tiny still there: %v", err)
	}
	if err := s.Delete("tiny"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if err := s.Put(Manifest{}); err == nil {
		t.Error("nameless manifest stored")
	}
	left, _ := filepath.Glob(filepath.Join(s.Dir(), ".pull-*"))
	if len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
}
