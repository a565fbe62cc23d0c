// Package config loads and validates the node configuration file
// (node contract, section 2).
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration file. Every field has a yaml tag; keys
// that are not listed here are reported as unknown.
type Config struct {
	Name        string                 `yaml:"name"`
	Description string                 `yaml:"description"`
	Environment string                 `yaml:"environment"`
	Node        Node                   `yaml:"node"`
	API         API                    `yaml:"api"`
	P2P         P2P                    `yaml:"p2p"`
	Web         Web                    `yaml:"web"`
	Storage     Storage                `yaml:"storage"`
	Logging     Logging                `yaml:"logging"`
	Consensus   Consensus              `yaml:"consensus"`
	Cluster     Cluster                `yaml:"cluster"`
	Scheduler   Scheduler              `yaml:"scheduler"`
	Security    Security               `yaml:"security"`
	Backend     Backend                `yaml:"backend"`
	Performance Performance            `yaml:"performance"`
	Metadata    map[string]interface{} `yaml:"metadata"` // free-form

	// Warnings are what the file got away with: unknown nested keys,
	// upstream settings this node does not use, defaulted values and the
	// allowed but unsafe settings of warnings.go. validate prints them before
	// "configuration OK", start logs them; strict loading (--strict) turns
	// them into problems. This is the node's one warnings mechanism.
	Warnings Problems `yaml:"-"`
}

// Node identifies this node.
type Node struct {
	ID   string            `yaml:"id"`
	Tags map[string]string `yaml:"tags"`
}

// API configures the HTTP API listener.
type API struct {
	Listen         string    `yaml:"listen"`
	Advertise      string    `yaml:"advertise"`
	Timeout        Duration  `yaml:"timeout"`
	MaxConnections int       `yaml:"max_connections"`
	TLS            TLS       `yaml:"tls"`
	CORS           CORS      `yaml:"cors"`
	RateLimit      RateLimit `yaml:"rate_limit"`
	// Headers are added to every API answer (upstream's api.headers); they
	// cannot replace the security headers of the contract.
	Headers map[string]string `yaml:"headers"`
}

// TLS enables HTTPS on the API.
type TLS struct {
	Enabled  bool   `yaml:"enabled"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// CORS controls the Access-Control-Allow-Origin answer.
type CORS struct {
	Enabled bool     `yaml:"enabled"`
	Origins []string `yaml:"origins"` // "*" or origins; "*" inside one matches any characters but "/"
	Methods []string `yaml:"methods"` // Access-Control-Allow-Methods (upstream's key)
	Headers []string `yaml:"headers"` // Access-Control-Allow-Headers (upstream's key)
}

// RateLimit is a per client IP token bucket.
type RateLimit struct {
	Enabled           bool `yaml:"enabled"`
	RequestsPerMinute int  `yaml:"requests_per_minute"`
	BurstSize         int  `yaml:"burst_size"`
}

// P2P configures the node-to-node endpoint.
type P2P struct {
	Listen    string   `yaml:"listen"`
	Advertise string   `yaml:"advertise"`
	Bootstrap []string `yaml:"bootstrap"`
}

// Web configures the optional status page.
type Web struct {
	Listen string `yaml:"listen"`
	Title  string `yaml:"title"`
}

// Storage lists the state directories.
type Storage struct {
	DataDir   string `yaml:"data_dir"`
	ModelsDir string `yaml:"models_dir"`
	CacheDir  string `yaml:"cache_dir"`
	MaxSize   Size   `yaml:"max_size"`
}

// Logging configures the JSON-line log.
type Logging struct {
	Level  string `yaml:"level"`
	Output string `yaml:"output"`
	File   string `yaml:"file"`
}

// Consensus configures membership.
type Consensus struct {
	Bootstrap       bool     `yaml:"bootstrap"`
	DataDir         string   `yaml:"data_dir"`
	HeartbeatTime   Duration `yaml:"heartbeat_time"`
	ElectionTimeout Duration `yaml:"election_timeout"`
}

// Cluster holds cluster-wide expectations and the members' shared secret.
type Cluster struct {
	ExpectedSize int    `yaml:"expected_size"`
	Secret       string `yaml:"secret"` // carried by every p2p request; empty: p2p unauthenticated
}

// Scheduler configures how generate requests are placed.
type Scheduler struct {
	Algorithm   string `yaml:"algorithm"`
	WorkerCount int    `yaml:"worker_count"`
	QueueSize   int    `yaml:"queue_size"`
}

// Security configures authentication.
type Security struct {
	EnableAuth bool     `yaml:"enable_auth"`
	APIKeys    []string `yaml:"api_keys"`
	JWT        JWT      `yaml:"jwt"`
}

// JWT configures HS256 tokens.
type JWT struct {
	Secret     string   `yaml:"secret"`
	Expiration Duration `yaml:"expiration"`
	Algorithm  string   `yaml:"algorithm"` // upstream's key; only HS256 (or empty)
}

// Backend optionally names a real Ollama server.
type Backend struct {
	OllamaURL string `yaml:"ollama_url"`
}

// Performance configures resource sampling.
type Performance struct {
	MonitoringEnabled bool    `yaml:"monitoring_enabled"`
	MetricsInterval   Seconds `yaml:"metrics_interval"`
}

// Default returns a configuration holding every documented default.
func Default() *Config {
	return &Config{
		Environment: "development",
		API: API{
			Listen:         "127.0.0.1:8080",
			Timeout:        Duration(30 * time.Second),
			MaxConnections: 256,
			CORS:           CORS{Enabled: true, Origins: []string{"*"}},
			RateLimit:      RateLimit{RequestsPerMinute: 600, BurstSize: 100},
		},
		P2P:       P2P{Listen: "127.0.0.1:4001"},
		Storage:   Storage{MaxSize: Size(10e9)},
		Logging:   Logging{Level: "info", Output: "console"},
		Consensus: Consensus{HeartbeatTime: Duration(500 * time.Millisecond), ElectionTimeout: Duration(3 * time.Second)},
		Scheduler: Scheduler{Algorithm: "round_robin", WorkerCount: 4, QueueSize: 100},
		Security:  Security{JWT: JWT{Expiration: Duration(24 * time.Hour)}},
		Performance: Performance{
			MonitoringEnabled: true,
			MetricsInterval:   Seconds(10 * time.Second),
		},
	}
}

// Problem is one thing wrong with a configuration, tied to its dotted key.
type Problem struct {
	Key string
	Msg string
}

func (p Problem) String() string { return p.Key + ": " + p.Msg }

// Problems is a list of Problem that is also an error.
type Problems []Problem

func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
}

// ErrUnreadable wraps errors for files that cannot be read or parsed.
var ErrUnreadable = errors.New("cannot read configuration")

// Options change how a file is loaded.
type Options struct {
	// Strict turns every warning into a problem (the collection's own files).
	Strict bool
	// Dir is the directory relative paths are resolved against; Load sets it
	// to the config file's directory. Empty: relative paths are problems.
	Dir string
	// Hostname names this host for the default node.id (os.Hostname if nil).
	Hostname func() (string, error)
}

// Load reads, decodes and validates a file with default options.
func Load(path string) (*Config, error) { return LoadWith(path, Options{}) }

// LoadWith reads, decodes and validates a file. The error is either wrapping
// ErrUnreadable (file missing or not YAML) or a Problems list. Relative
// paths are resolved against the file's directory.
func LoadWith(path string, o Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	o.Dir = filepath.Dir(abs)
	return ParseWith(data, o)
}

// Parse decodes and validates configuration bytes with default options
// (relative paths are problems: there is no file to resolve them against).
func Parse(data []byte) (*Config, error) { return ParseWith(data, Options{}) }

// ParseWith decodes and validates configuration bytes (see LoadWith).
func ParseWith(data []byte, o Options) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	cfg := Default()
	var probs Problems
	if len(doc.Content) > 0 {
		decode(doc.Content[0], reflect.ValueOf(cfg).Elem(), "", &probs, &cfg.Warnings)
	}
	cfg.resolvePaths(o.Dir)
	cfg.defaultNodeID(o.Hostname)
	bad := map[string]bool{}
	for _, p := range probs {
		bad[p.Key] = true
	}
	for _, p := range cfg.Validate() {
		if !bad[p.Key] { // a key that failed to decode is reported once
			probs = append(probs, p)
		}
	}
	for _, p := range probs {
		bad[p.Key] = true
	}
	for _, w := range cfg.settingWarnings() {
		if !bad[w.Key] { // a key with a problem does not warn too
			cfg.Warnings = append(cfg.Warnings, w)
		}
	}
	if o.Strict {
		probs = append(probs, cfg.Warnings...)
	}
	cfg.applyDerivedDefaults()
	if len(probs) > 0 {
		return cfg, probs
	}
	return cfg, nil
}

// decode walks a YAML node into v, reporting type errors and unknown
// top-level keys as problems and unknown nested keys as warnings, by dotted
// key, instead of stopping at the first one. A null value leaves the default
// in place.
func decode(n *yaml.Node, v reflect.Value, path string, probs, warns *Problems) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if v.Kind() == reflect.Struct && !reflect.PtrTo(v.Type()).Implements(unmarshalerType) {
		if n.Kind != yaml.MappingNode {
			*probs = append(*probs, Problem{keyOr(path), "must be a mapping of keys"})
			return
		}
		fields := map[string]int{}
		for i := 0; i < v.NumField(); i++ {
			if tag := strings.Split(v.Type().Field(i).Tag.Get("yaml"), ",")[0]; tag != "-" {
				fields[tag] = i
			}
		}
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			child := k
			if path != "" {
				child = path + "." + k
			}
			if seen[k] {
				*probs = append(*probs, Problem{child, "is set more than once"})
				continue
			}
			seen[k] = true
			idx, ok := fields[k]
			switch {
			case !ok && path == "":
				*probs = append(*probs, Problem{child, "unknown key"})
				continue
			case !ok:
				*warns = append(*warns, Problem{child, unknownNested(child)})
				continue
			}
			decode(n.Content[i+1], v.Field(idx), child, probs, warns)
		}
		return
	}
	if n.Kind == yaml.ScalarNode && v.Kind() == reflect.String && strings.Contains(n.Value, "${") {
		val, msg := expandEnv(n.Value)
		if msg != "" {
			*probs = append(*probs, Problem{path, msg})
			return
		}
		v.SetString(val)
		return
	}
	out := reflect.New(v.Type())
	if err := n.Decode(out.Interface()); err != nil {
		*probs = append(*probs, Problem{path, typeMessage(v.Type(), err)})
		return
	}
	if out.Elem().IsZero() && !v.IsZero() && zeroMeansDefault[path] {
		*warns = append(*warns, Problem{path, fmt.Sprintf("%q is not allowed here; using the default %v", n.Value, v.Interface())})
		return
	}
	v.Set(out.Elem())
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

func keyOr(path string) string {
	if path == "" {
		return "(top level)"
	}
	return path
}

// typeMessage explains what a key should hold. Our own types carry their own
// message; for the others the YAML library's text is replaced by ours.
func typeMessage(t reflect.Type, err error) string {
	if reflect.PtrTo(t).Implements(unmarshalerType) {
		return err.Error()
	}
	switch t.Kind() {
	case reflect.Bool:
		return "must be true or false"
	case reflect.Int, reflect.Int64:
		return "must be an integer"
	case reflect.String:
		return "must be a string"
	case reflect.Slice:
		return "must be a list of strings"
	case reflect.Map:
		if t.Elem().Kind() == reflect.String {
			return "must be a mapping of strings to strings"
		}
		return "must be a mapping"
	}
	return "has the wrong type"
}

// applyDerivedDefaults fills defaults that depend on other keys.
func (c *Config) applyDerivedDefaults() {
	if c.API.Advertise == "" {
		c.API.Advertise = c.API.Listen
	}
	if c.P2P.Advertise == "" {
		c.P2P.Advertise = c.P2P.Listen
	}
	if filepath.IsAbs(c.Storage.DataDir) {
		if c.Storage.ModelsDir == "" {
			c.Storage.ModelsDir = filepath.Join(c.Storage.DataDir, "models")
		}
		if c.Storage.CacheDir == "" {
			c.Storage.CacheDir = filepath.Join(c.Storage.DataDir, "cache")
		}
		if c.Consensus.DataDir == "" {
			c.Consensus.DataDir = filepath.Join(c.Storage.DataDir, "consensus")
		}
	}
}
