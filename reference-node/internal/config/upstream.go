package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// upstreamKeys are nested keys that upstream's training profiles
// (configuration-manager.go, training-environment-setup.sh) write and that
// this node has no use for. They load with a warning that says so; any
// other unknown nested key is warned about as unknown (a likely typo).
var upstreamKeys = map[string]bool{
	"api.debug": true, "api.middleware": true,
	"p2p.protocol": true, "p2p.discovery": true, "p2p.security": true, "p2p.limits": true,
	"web.enable_auth": true, "web.static_dir": true, "web.theme": true,
	"storage.temp_dir": true, "storage.cleanup": true,
	"logging.max_size": true, "logging.max_backups": true, "logging.max_age": true, "logging.compress": true,
	"performance.optimization_enabled": true, "performance.profiler_enabled": true,
	"performance.memory_limit": true, "performance.cpu_limit": true, "performance.gc_target_percentage": true,
	"consensus.bind_addr": true, "consensus.max_log_entries": true,
	"scheduler.load_balancing": true, "scheduler.policies": true,
	"security.encryption": true, "security.certificates": true,
}

func unknownNested(key string) string {
	if upstreamKeys[key] {
		return "upstream setting that this node does not use; ignored"
	}
	return "unknown key; ignored"
}

// zeroMeansDefault lists keys for which upstream's generator writes its Go
// zero value ("", 0, 0s) when a profile does not set them. Such a zero is
// not a valid value here, so it means "not set": the default stays and a
// warning says so (a problem with --strict).
var zeroMeansDefault = map[string]bool{
	"consensus.heartbeat_time":   true,
	"consensus.election_timeout": true,
	"scheduler.algorithm":        true,
	"scheduler.worker_count":     true,
	"security.jwt.expiration":    true,
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${NAME} by the environment variable NAME, as upstream's
// production template expects for security.jwt.secret. It returns a message
// instead when a named variable is not set.
func expandEnv(s string) (string, string) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(s, func(m string) string {
		name := envRef.FindStringSubmatch(m)[1]
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Sprintf("names the environment variable %s, which is not set", strings.Join(missing, ", "))
	}
	return out, ""
}

// resolvePaths makes relative file and directory paths absolute against
// dir, the config file's directory. Without dir they stay relative (and
// Validate reports them).
func (c *Config) resolvePaths(dir string) {
	if dir == "" {
		return
	}
	for _, p := range []*string{
		&c.Storage.DataDir, &c.Storage.ModelsDir, &c.Storage.CacheDir,
		&c.Logging.File, &c.Consensus.DataDir, &c.API.TLS.CertFile, &c.API.TLS.KeyFile,
	} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
}

var notIDChar = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// defaultNodeID sets node.id to <hostname>-<environment> (upstream's rule)
// when the file has none, made to fit [A-Za-z0-9_-]{1,63}, with a warning.
func (c *Config) defaultNodeID(hostname func() (string, error)) {
	if c.Node.ID != "" {
		return
	}
	if hostname == nil {
		hostname = os.Hostname
	}
	host, err := hostname()
	if err != nil || host == "" {
		host = "node"
	}
	raw := host + "-" + c.Environment
	id := strings.Trim(notIDChar.ReplaceAllString(raw, "-"), "-")
	if len(id) > 63 {
		id = strings.TrimRight(id[:63], "-")
	}
	if id == "" {
		id = "node"
	}
	c.Node.ID = id
	c.Warnings = append(c.Warnings, Problem{"node.id", fmt.Sprintf("not set; using %q (<hostname>-<environment>); set it when several nodes share a host", id)})
}
