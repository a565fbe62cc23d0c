// Package models keeps model manifests in <models_dir>/manifests/*.json.
//
// The reference node stores no weights: a model is its manifest. Labs seed a
// model by writing such a file; pulls copy it between nodes.
package models

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Details mirrors Ollama's model details.
type Details struct {
	Format            string `json:"format"`
	Family            string `json:"family"`
	ParameterSize     string `json:"parameter_size"`
	QuantizationLevel string `json:"quantization_level"`
}

// Manifest is one model file. Name is required; the rest has defaults.
type Manifest struct {
	Name       string    `json:"name"`
	Model      string    `json:"model,omitempty"`
	Size       int64     `json:"size"`
	Digest     string    `json:"digest"`
	ModifiedAt time.Time `json:"modified_at"`
	Details    Details   `json:"details"`
}

// ErrNotFound is returned for models that have no manifest.
var ErrNotFound = errors.New("model not found")

// Normalize applies Ollama's naming: "llama3" means "llama3:latest".
func Normalize(name string) string {
	name = strings.TrimSpace(name)
	last := name[strings.LastIndex(name, "/")+1:]
	if name != "" && !strings.Contains(last, ":") {
		name += ":latest"
	}
	return name
}

// FileName is the conventional manifest file name for a model.
func FileName(name string) string {
	b := []byte(Normalize(name))
	for i, c := range b {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_'
		if !ok {
			b[i] = '_'
		}
	}
	return string(b) + ".json"
}

// Store reads and writes manifests. Any *.json file in the directory counts;
// the model is identified by the name inside, not by the file name.
type Store struct {
	dir string
	mu  sync.Mutex // serialises writers
}

// NewStore uses <modelsDir>/manifests.
func NewStore(modelsDir string) *Store {
	return &Store{dir: filepath.Join(modelsDir, "manifests")}
}

// Dir is the manifests directory.
func (s *Store) Dir() string { return s.dir }

// Init creates the manifests directory.
func (s *Store) Init() error { return os.MkdirAll(s.dir, 0o755) }

type entry struct {
	m    Manifest
	path string
}

func (s *Store) scan() []entry {
	files, _ := filepath.Glob(filepath.Join(s.dir, "*.json"))
	sort.Strings(files)
	seen := map[string]bool{}
	var out []entry
	for _, f := range files {
		m, err := readManifest(f)
		if err != nil || seen[m.Name] {
			continue // unreadable or duplicate manifests are ignored
		}
		seen[m.Name] = true
		out = append(out, entry{m, f})
	}
	return out
}

func readManifest(path string) (Manifest, error) {
	var m Manifest
	data, err := os.ReadFile(path)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, err
	}
	if strings.TrimSpace(m.Name) == "" {
		return m, fmt.Errorf("%s: manifest has no name", path)
	}
	m.Name = Normalize(m.Name)
	m.Model = m.Name
	if m.Digest == "" {
		sum := sha256.Sum256([]byte(m.Name))
		m.Digest = "sha256:" + hex.EncodeToString(sum[:])
	}
	if m.ModifiedAt.IsZero() {
		if st, err := os.Stat(path); err == nil {
			m.ModifiedAt = st.ModTime().UTC()
		}
	}
	if m.Details.Format == "" {
		m.Details.Format = "gguf"
	}
	return m, nil
}

// List returns every model, sorted by name.
func (s *Store) List() []Manifest {
	es := s.scan()
	out := make([]Manifest, 0, len(es))
	for _, e := range es {
		out = append(out, e.m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Names returns the model names, sorted.
func (s *Store) Names() []string {
	ms := s.List()
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return out
}

// Get returns one model's manifest.
func (s *Store) Get(name string) (Manifest, error) {
	name = Normalize(name)
	for _, e := range s.scan() {
		if e.m.Name == name {
			return e.m, nil
		}
	}
	return Manifest{}, ErrNotFound
}

// TotalSize sums the sizes of all models.
func (s *Store) TotalSize() int64 {
	var t int64
	for _, m := range s.List() {
		t += m.Size
	}
	return t
}

// Put writes a manifest atomically (temp file + rename).
func (s *Store) Put(m Manifest) error {
	m.Name = Normalize(m.Name)
	m.Model = m.Name
	if m.Name == "" {
		return errors.New("manifest has no name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.Init(); err != nil {
		return err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.dir, ".pull-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(s.dir, FileName(m.Name)))
}

// Delete removes a model's manifest; ErrNotFound when it has none.
func (s *Store) Delete(name string) error {
	name = Normalize(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	// Every file that names the model goes, duplicates included (scan shows
	// only the first of them).
	files, _ := filepath.Glob(filepath.Join(s.dir, "*.json"))
	found := false
	for _, f := range files {
		if m, err := readManifest(f); err == nil && m.Name == name {
			if err := os.Remove(f); err != nil {
				return err
			}
			found = true
		}
	}
	if !found {
		return ErrNotFound
	}
	return nil
}
