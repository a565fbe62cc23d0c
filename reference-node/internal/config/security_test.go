package config

import (
	"strings"
	"testing"
)

// TestClusterSecretAndLimits pins the keys of issue 13: cluster.secret (at
// least 32 characters when set, a warning when empty) and
// api.max_connections (default 256, at least 1).
func TestClusterSecretAndLimits(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{base + "cluster: {secret: too-short}\n", "cluster.secret: must be at least 32 characters (got 9)"},
		{base + "cluster: {secret: [a]}\n", "cluster.secret: must be a string"},
		{base + "api: {max_connections: 0}\n", "api.max_connections: must be at least 1 (got 0)"},
		{base + "api: {max_connections: lots}\n", "api.max_connections: must be an integer"},
	} {
		got := strings.Join(problemsOf(t, c.doc), "\n")
		if !strings.Contains(got, c.want) {
			t.Errorf("config:\n%s\nwant %q, got %q", c.doc, c.want, got)
		}
		if strings.Contains(got, "too-short") {
			t.Errorf("a problem line shows the secret: %q", got)
		}
	}

	c, err := Parse([]byte(base))
	if err != nil {
		t.Fatal(err)
	}
	if c.API.MaxConnections != 256 {
		t.Errorf("api.max_connections default %d, want 256", c.API.MaxConnections)
	}
	ws := c.Warnings
	if len(ws) != 1 || ws[0].Key != "cluster.secret" || !strings.Contains(ws[0].Msg, "is empty") {
		t.Errorf("warnings without a secret: %v", ws)
	}

	c, err = Parse([]byte(base + "cluster: {secret: '" + strings.Repeat("s", 32) + "'}\napi: {max_connections: 8}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ws := c.Warnings; len(ws) != 0 || c.Cluster.Secret != strings.Repeat("s", 32) || c.API.MaxConnections != 8 {
		t.Errorf("with a 32-character secret: warnings %v, secret %q, max_connections %d", ws, c.Cluster.Secret, c.API.MaxConnections)
	}
}
