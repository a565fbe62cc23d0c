package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// NodeIDPattern is the allowed shape of node.id.
var NodeIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,63}$`)

// httpToken is an HTTP method or header name.
var httpToken = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+.^_|~-]+$`)

// reservedHeaders are answered by the node itself (contract section 3).
var reservedHeaders = map[string]bool{
	"content-type": true, "content-length": true, "x-content-type-options": true, "x-frame-options": true,
	"x-xss-protection": true, "cache-control": true, "www-authenticate": true, "retry-after": true,
	"allow": true, "vary": true, "server": true, "set-cookie": true,
}

// MinSecretLen is the minimum length of API keys, the JWT secret and the
// cluster secret.
const MinSecretLen = 32

// Validate checks every rule of the contract and returns all problems. It
// runs before derived defaults are filled in, so an empty advertise address
// or directory means "not set".
func (c *Config) Validate() Problems {
	var ps Problems
	add := func(key, format string, args ...interface{}) {
		ps = append(ps, Problem{key, fmt.Sprintf(format, args...)})
	}
	oneOf := func(key, val string, allowed ...string) {
		for _, a := range allowed {
			if val == a {
				return
			}
		}
		add(key, "must be one of %s (got %q)", strings.Join(allowed, ", "), val)
	}
	hostPort := func(key, val string, needHost bool) {
		if msg := checkHostPort(val, needHost); msg != "" {
			add(key, "%s", msg)
		}
	}
	absPath := func(key, val string, required bool) {
		switch {
		case val == "":
			if required {
				add(key, "is required")
			}
		case !filepath.IsAbs(val):
			add(key, "must be an absolute path (got %q)", val)
		}
	}
	dir := func(key, val string, required bool) {
		absPath(key, val, required)
		if filepath.IsAbs(val) {
			if st, err := os.Stat(val); err == nil && !st.IsDir() {
				add(key, "%s exists and is not a directory", val)
			}
		}
	}
	positive := func(key string, d Duration) {
		if d <= 0 {
			add(key, "must be greater than 0 (got %s)", d)
		}
	}
	atLeast := func(key string, v, min int) {
		if v < min {
			add(key, "must be at least %d (got %d)", min, v)
		}
	}

	oneOf("environment", c.Environment, "development", "testing", "production")

	switch {
	case c.Node.ID == "":
		add("node.id", "is required")
	case !NodeIDPattern.MatchString(c.Node.ID):
		add("node.id", "must match [A-Za-z0-9_-]{1,63} (got %q)", c.Node.ID)
	}

	hostPort("api.listen", c.API.Listen, false)
	if c.API.Advertise != "" { // else it defaults to api.listen
		hostPort("api.advertise", c.API.Advertise, true)
	}
	positive("api.timeout", c.API.Timeout)
	atLeast("api.max_connections", c.API.MaxConnections, 1)
	if c.API.TLS.Enabled {
		for _, f := range []struct{ key, val string }{
			{"api.tls.cert_file", c.API.TLS.CertFile},
			{"api.tls.key_file", c.API.TLS.KeyFile},
		} {
			if f.val == "" {
				add(f.key, "is required when api.tls.enabled is true")
			} else if st, err := os.Stat(f.val); err != nil || st.IsDir() {
				add(f.key, "file %s does not exist", f.val)
			}
		}
	}
	for i, o := range c.API.CORS.Origins {
		if strings.TrimSpace(o) == "" {
			add(fmt.Sprintf("api.cors.origins[%d]", i), "must not be empty")
		}
	}
	for i, m := range c.API.CORS.Methods {
		if !httpToken.MatchString(m) {
			add(fmt.Sprintf("api.cors.methods[%d]", i), "must be an HTTP method like GET (got %q)", m)
		}
	}
	for name := range c.API.Headers {
		switch low := strings.ToLower(name); {
		case !httpToken.MatchString(name):
			add("api.headers", "%q is not a header name", name)
		case strings.HasPrefix(low, "access-control-"):
			add("api.headers", "%s is set by api.cors, not here", name)
		case reservedHeaders[low]:
			add("api.headers", "%s is set by the node and cannot be changed", name)
		}
	}
	atLeast("api.rate_limit.requests_per_minute", c.API.RateLimit.RequestsPerMinute, 1)
	atLeast("api.rate_limit.burst_size", c.API.RateLimit.BurstSize, 1)

	hostPort("p2p.listen", c.P2P.Listen, false)
	if c.P2P.Advertise != "" {
		hostPort("p2p.advertise", c.P2P.Advertise, true)
	}
	for i, b := range c.P2P.Bootstrap {
		hostPort(fmt.Sprintf("p2p.bootstrap[%d]", i), b, true)
	}
	if c.Web.Listen != "" {
		hostPort("web.listen", c.Web.Listen, false)
	}
	// Two listeners on one port can never both start.
	if samePort(c.API.Listen, c.P2P.Listen) {
		add("p2p.listen", "must not use the same port as api.listen (%s)", c.API.Listen)
	}
	if samePort(c.API.Listen, c.Web.Listen) {
		add("web.listen", "must not use the same port as api.listen (%s)", c.API.Listen)
	}
	if samePort(c.P2P.Listen, c.Web.Listen) {
		add("web.listen", "must not use the same port as p2p.listen (%s)", c.P2P.Listen)
	}

	dir("storage.data_dir", c.Storage.DataDir, true)
	dir("storage.models_dir", c.Storage.ModelsDir, false)
	dir("storage.cache_dir", c.Storage.CacheDir, false)
	if c.Storage.MaxSize <= 0 {
		add("storage.max_size", "must be greater than 0")
	}

	oneOf("logging.level", c.Logging.Level, "debug", "info", "warn", "error")
	oneOf("logging.output", c.Logging.Output, "console", "file", "both")
	if c.Logging.Output == "file" || c.Logging.Output == "both" {
		if c.Logging.File == "" {
			add("logging.file", "is required when logging.output is %s", c.Logging.Output)
		}
	}
	absPath("logging.file", c.Logging.File, false)

	dir("consensus.data_dir", c.Consensus.DataDir, false)
	positive("consensus.heartbeat_time", c.Consensus.HeartbeatTime)
	positive("consensus.election_timeout", c.Consensus.ElectionTimeout)
	if c.Consensus.HeartbeatTime > 0 && c.Consensus.ElectionTimeout > 0 &&
		c.Consensus.ElectionTimeout <= c.Consensus.HeartbeatTime {
		add("consensus.election_timeout", "must be longer than consensus.heartbeat_time (%s)", c.Consensus.HeartbeatTime)
	}

	atLeast("cluster.expected_size", c.Cluster.ExpectedSize, 0)
	if n := len(c.Cluster.Secret); n > 0 && n < MinSecretLen {
		add("cluster.secret", "must be at least %d characters (got %d)", MinSecretLen, n)
	}

	oneOf("scheduler.algorithm", c.Scheduler.Algorithm, "round_robin", "least_loaded")
	atLeast("scheduler.worker_count", c.Scheduler.WorkerCount, 1)
	atLeast("scheduler.queue_size", c.Scheduler.QueueSize, 0)

	for i, k := range c.Security.APIKeys {
		if len(k) < MinSecretLen {
			add(fmt.Sprintf("security.api_keys[%d]", i), "must be at least %d characters (got %d)", MinSecretLen, len(k))
		}
	}
	if c.Security.EnableAuth {
		switch {
		case c.Security.JWT.Secret == "":
			add("security.jwt.secret", "is required when security.enable_auth is true")
		case len(c.Security.JWT.Secret) < MinSecretLen:
			add("security.jwt.secret", "must be at least %d characters when security.enable_auth is true (got %d)", MinSecretLen, len(c.Security.JWT.Secret))
		}
	}
	positive("security.jwt.expiration", c.Security.JWT.Expiration)
	if a := c.Security.JWT.Algorithm; a != "" && a != "HS256" {
		add("security.jwt.algorithm", "must be HS256, the only algorithm this node signs and checks (got %q)", a)
	}

	if u := c.Backend.OllamaURL; u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			add("backend.ollama_url", "must be an http:// or https:// URL (got %q)", u)
		}
	}

	if c.Performance.MetricsInterval < 0 {
		add("performance.metrics_interval", "must not be negative")
	}
	return ps
}

// checkHostPort returns "" when s is a valid host:port, else what is wrong.
// needHost demands a host that others can dial (not empty, not 0.0.0.0).
func checkHostPort(s string, needHost bool) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("must be host:port (got %q)", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port must be a number between 1 and 65535 (got %q)", s)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Sprintf("must be host:port (got %q)", s)
	}
	if needHost {
		if host == "" {
			return fmt.Sprintf("must name a host that other nodes can reach (got %q)", s)
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			return fmt.Sprintf("must name a host that other nodes can reach, not %s (got %q)", host, s)
		}
	}
	return ""
}

// samePort reports whether two listen addresses would collide: same port and
// the same host, or either of them binding every interface.
func samePort(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil || pa != pb {
		return false
	}
	wild := func(h string) bool {
		ip := net.ParseIP(h)
		return h == "" || (ip != nil && ip.IsUnspecified())
	}
	return ha == hb || wild(ha) || wild(hb)
}
