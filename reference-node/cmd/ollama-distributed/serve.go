package main

import (
	"context"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/ollama-lab/distributed/reference-node/internal/api"
	"github.com/ollama-lab/distributed/reference-node/internal/auth"
	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
	"github.com/ollama-lab/distributed/reference-node/internal/config"
	"github.com/ollama-lab/distributed/reference-node/internal/logx"
	"github.com/ollama-lab/distributed/reference-node/internal/models"
)

// serve runs the node until SIGTERM/SIGINT, then shuts down within 10 s.
// sig receives SIGTERM/SIGINT; it is set up before the config is even read.
// The configuration's warnings (cfg.Warnings) are logged once at start.
func serve(cfg *config.Config, ln api.Listeners, logger *logx.Logger, sig chan os.Signal) {
	for _, w := range cfg.Warnings {
		logger.Warn("configuration warning", "key", w.Key, "warning", w.Msg)
	}
	authn := auth.New(cfg.Security.APIKeys, cfg.Security.JWT.Secret, cfg.Security.JWT.Expiration.D())
	store := models.NewStore(cfg.Storage.ModelsDir)
	if err := store.Init(); err != nil {
		logger.Error("cannot create manifests directory", "error", err)
	}
	// Every p2p request carries the cluster secret; never a client credential.
	peers := &cluster.Client{HTTP: &http.Client{Timeout: cfg.API.Timeout.D()}, Secret: cfg.Cluster.Secret}
	var srv *api.Server
	cl := cluster.New(cluster.Options{
		ID: cfg.Node.ID, Address: cfg.API.Advertise, P2PAddress: cfg.P2P.Advertise,
		Tags: cfg.Node.Tags, Bootstrap: cfg.P2P.Bootstrap,
		Heartbeat: cfg.Consensus.HeartbeatTime.D(), ElectionTimeout: cfg.Consensus.ElectionTimeout.D(),
		ExpectedSize: cfg.Cluster.ExpectedSize, StateDir: cfg.Consensus.DataDir,
		Log: logger, Client: peers,
		Local: func() cluster.Local {
			if srv == nil {
				return cluster.Local{Capabilities: cluster.Capabilities{SupportedModels: store.Names()}}
			}
			return srv.LocalInfo()
		},
	})
	srv = api.New(api.Options{Config: cfg, Log: logger, Cluster: cl, Store: store, Auth: authn, Peers: peers, Version: version})
	servers := srv.Start(ln, log.New(logWriter{logger}, "", 0))

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		cl.JoinNow(ctx)
		cl.Run(ctx)
		close(done)
	}()
	for _, a := range []struct{ key, addr string }{{"api.advertise", cfg.API.Advertise}, {"p2p.advertise", cfg.P2P.Advertise}} {
		if host, _, err := net.SplitHostPort(a.addr); err == nil {
			if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
				logger.Warn(a.key+" is not set and the listen address binds every interface: peers will use the address they see this node call from",
					"address", a.addr)
			}
		}
	}
	if !cfg.Consensus.Bootstrap && len(cfg.P2P.Bootstrap) == 0 {
		logger.Warn("no p2p.bootstrap peers and consensus.bootstrap is false: this node can only be found by others")
	}
	logger.Info("node started", "version", version, "api", cfg.API.Listen, "p2p", cfg.P2P.Listen,
		"web", cfg.Web.Listen, "bootstrap", cfg.P2P.Bootstrap, "models_dir", cfg.Storage.ModelsDir,
		"p2p_authenticated", cfg.Cluster.Secret != "", "max_connections", cfg.API.MaxConnections)

	got := <-sig
	logger.Info("shutting down", "signal", got.String())
	signal.Stop(sig)

	shutCtx, cancel := context.WithTimeout(context.Background(), 7*time.Second)
	defer cancel()
	for _, s := range servers {
		if err := s.Shutdown(shutCtx); err != nil {
			s.Close()
		}
	}
	stop()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	logger.Info("stopped")
}

// logWriter sends net/http's own error log to the JSON log.
type logWriter struct{ l *logx.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.l.Debug("http server", "detail", strings.TrimSpace(string(p)))
	return len(p), nil
}
