// Command ollama-distributed is the reference implementation of the Ollama
// Distributed node contract (see the repository's node-contract.md).
package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ollama-lab/distributed/reference-node/internal/api"
	"github.com/ollama-lab/distributed/reference-node/internal/config"
	"github.com/ollama-lab/distributed/reference-node/internal/logx"
)

// version is set at build time with -ldflags "-X main.version=<v>".
var version = "0.1.0-dev"

// Exit codes. 0, 1 and 2 are the contract's; 64 is a command line mistake.
const (
	exitOK       = 0
	exitFailure  = 1 // unreadable config, cannot bind, cannot start
	exitProblems = 2 // configuration has problems
	exitUsage    = 64
)

const usage = `ollama-distributed - Ollama Distributed node (reference implementation)

Usage:
  ollama-distributed --version | version
  ollama-distributed --help | help | <command> --help
  ollama-distributed validate --config FILE [--strict]
  ollama-distributed start --config FILE [--dry-run] [--strict]

validate  checks FILE without starting anything: exit 0 and "configuration OK",
          after one "<dotted.key>: <warning>" line per warning (unknown nested
          keys, upstream settings this node does not use, defaulted values, an
          empty cluster.secret);
          exit 2 and one "<dotted.key>: <problem>" line per problem,
          exit 1 when FILE cannot be read or parsed.
          --strict turns every warning into a problem.
start     runs the node in the foreground until SIGTERM or SIGINT.
          --dry-run validates, checks every listen address can be bound,
          prints what would start and exits.
          --strict as for validate.

Relative paths in FILE are resolved against FILE's directory.
`

// isHelp reports whether a command's arguments ask for help.
func isHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--help", "-help", "-h":
			return true
		}
	}
	return false
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	if isHelp(args[1:]) {
		switch args[0] {
		case "validate", "start", "version", "--version", "-version", "-v", "help", "--help", "-help", "-h":
			fmt.Fprint(stdout, usage)
			return exitOK
		}
	}
	switch args[0] {
	case "--version", "-version", "version", "-v":
		fmt.Fprintf(stdout, "ollama-distributed version %s (reference)\n", version)
		return exitOK
	case "--help", "-help", "-h", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "start":
		return cmdStart(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "ollama-distributed: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}

// parseFlags handles --config, --strict and, for start, --dry-run.
func parseFlags(name string, args []string, stderr io.Writer, strict, dryRun *bool) (string, bool) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := fs.String("config", "", "configuration file")
	fs.BoolVar(strict, "strict", false, "treat every warning as a problem")
	if dryRun != nil {
		fs.BoolVar(dryRun, "dry-run", false, "validate and check listen addresses, then exit")
	}
	if err := fs.Parse(args); err != nil {
		return "", false
	}
	if *cfg == "" || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ollama-distributed %s: --config FILE is required (and nothing else)\n", name)
		return "", false
	}
	return *cfg, true
}

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	var strict bool
	path, ok := parseFlags("validate", args, stderr, &strict, nil)
	if !ok {
		return exitUsage
	}
	cfg, err := config.LoadWith(path, config.Options{Strict: strict})
	var probs config.Problems
	switch {
	case err == nil:
		for _, w := range cfg.Warnings {
			fmt.Fprintln(stdout, w.String())
		}
		fmt.Fprintln(stdout, "configuration OK")
		return exitOK
	case errors.As(err, &probs):
		for _, p := range probs {
			fmt.Fprintln(stdout, p.String())
		}
		return exitProblems
	default:
		fmt.Fprintf(stderr, "%v\n", err)
		return exitFailure
	}
}

// listeners are bound before anything is served, so start either gets all
// of them or stops with nothing running.
type listeners struct {
	api, p2p, web net.Listener
}

func (l *listeners) close() {
	for _, ln := range []net.Listener{l.api, l.p2p, l.web} {
		if ln != nil {
			ln.Close()
		}
	}
}

func bindAll(c *config.Config) (*listeners, error) {
	l := &listeners{}
	var err error
	if l.api, err = net.Listen("tcp", c.API.Listen); err != nil {
		return nil, fmt.Errorf("cannot listen on api.listen %s: %v", c.API.Listen, opErr(err))
	}
	if l.p2p, err = net.Listen("tcp", c.P2P.Listen); err != nil {
		l.close()
		return nil, fmt.Errorf("cannot listen on p2p.listen %s: %v", c.P2P.Listen, opErr(err))
	}
	if c.Web.Listen != "" {
		if l.web, err = net.Listen("tcp", c.Web.Listen); err != nil {
			l.close()
			return nil, fmt.Errorf("cannot listen on web.listen %s: %v", c.Web.Listen, opErr(err))
		}
	}
	return l, nil
}

// opErr drops the "listen tcp 1.2.3.4:5:" prefix the address already tells.
func opErr(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

func stateDirs(c *config.Config) []string {
	return []string{c.Storage.DataDir, c.Storage.ModelsDir, c.Storage.CacheDir, c.Consensus.DataDir}
}

// prepareDirs creates the state directories and checks they are writable.
func prepareDirs(c *config.Config) error {
	for _, d := range stateDirs(c) {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return fmt.Errorf("cannot create %s: %v", d, err)
		}
		f, err := os.CreateTemp(d, ".write-test-*")
		if err != nil {
			return fmt.Errorf("directory %s is not writable: %v", d, err)
		}
		f.Close()
		os.Remove(f.Name())
	}
	return nil
}

func cmdStart(args []string, stdout, stderr io.Writer) int {
	// Catch the stop signals first, so a SIGTERM that comes while the node
	// starts means a clean shutdown once it runs, never the default kill.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sig)
	var dryRun, strict bool
	path, ok := parseFlags("start", args, stderr, &strict, &dryRun)
	if !ok {
		return exitUsage
	}
	fail := func(code int, format string, a ...interface{}) int {
		fmt.Fprintf(stderr, "ollama-distributed: "+format+"\n", a...)
		return code
	}
	cfg, err := config.LoadWith(path, config.Options{Strict: strict})
	var probs config.Problems
	if errors.As(err, &probs) {
		return fail(exitProblems, "invalid configuration: %s", probs.Error())
	} else if err != nil {
		return fail(exitFailure, "%v", err)
	}
	var tlsCfg *tls.Config
	if cfg.API.TLS.Enabled {
		cert, err := tls.LoadX509KeyPair(cfg.API.TLS.CertFile, cfg.API.TLS.KeyFile)
		if err != nil {
			return fail(exitFailure, "cannot load api.tls certificate: %v", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := bindAll(cfg)
	if err != nil {
		return fail(exitFailure, "%v", err)
	}
	if dryRun {
		ln.close()
		printPlan(stdout, cfg)
		return exitOK
	}
	if err := prepareDirs(cfg); err != nil {
		ln.close()
		return fail(exitFailure, "%v", err)
	}
	logger, err := logx.New(cfg.Logging.Level, cfg.Logging.Output, cfg.Logging.File)
	if err != nil {
		ln.close()
		return fail(exitFailure, "cannot open logging.file: %v", err)
	}
	defer logger.Close()
	serve(cfg, api.Listeners{API: ln.api, P2P: ln.p2p, Web: ln.web, APITLS: tlsCfg}, logger.With("node_id", cfg.Node.ID), sig)
	return exitOK
}

func printPlan(w io.Writer, c *config.Config) {
	scheme := "http"
	if c.API.TLS.Enabled {
		scheme = "https"
	}
	for _, warn := range c.Warnings {
		fmt.Fprintln(w, warn.String())
	}
	fmt.Fprintln(w, "configuration OK; every listen address can be bound")
	fmt.Fprintf(w, "would start node %s (%s)\n", c.Node.ID, c.Environment)
	fmt.Fprintf(w, "  api:  %s://%s (advertised as %s)\n", scheme, c.API.Listen, c.API.Advertise)
	fmt.Fprintf(w, "  p2p:  %s (advertised as %s), bootstrap peers: %s\n", c.P2P.Listen, c.P2P.Advertise, orNone(c.P2P.Bootstrap))
	if c.Web.Listen != "" {
		fmt.Fprintf(w, "  web:  http://%s\n", c.Web.Listen)
	}
	for _, d := range stateDirs(c) {
		state := "exists"
		if _, err := os.Stat(d); err != nil {
			state = "would be created"
		}
		fmt.Fprintf(w, "  dir:  %s (%s)\n", d, state)
	}
	fmt.Fprintf(w, "  auth: %v, scheduler: %s, backend: %s\n", c.Security.EnableAuth, c.Scheduler.Algorithm, orNone([]string{c.Backend.OllamaURL}))
}

func orNone(list []string) string {
	s := strings.TrimSpace(strings.Join(list, ", "))
	if s == "" {
		return "none"
	}
	return s
}
