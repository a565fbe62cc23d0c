package config

// Warnings lists what is allowed but unsafe, one Problem per key. validate
// prints them before "configuration OK"; --strict makes them problems.
func (c *Config) Warnings() Problems {
	var ws Problems
	if c.Cluster.Secret == "" {
		ws = append(ws, Problem{"cluster.secret", "is empty: the p2p port accepts requests from anyone who can reach it; " +
			"set the same secret of at least 32 characters on every member of the cluster"})
	}
	return ws
}
