package config

// settingWarnings lists what is allowed but unsafe, one Problem per key.
// ParseWith adds them to Config.Warnings, after the warnings found while
// decoding, so they take the same path: validate prints them before
// "configuration OK"; --strict makes them problems.
func (c *Config) settingWarnings() Problems {
	var ws Problems
	if c.Cluster.Secret == "" {
		ws = append(ws, Problem{"cluster.secret", "is empty: the p2p port accepts requests from anyone who can reach it; " +
			"set the same secret of at least 32 characters on every member of the cluster"})
	}
	return ws
}
