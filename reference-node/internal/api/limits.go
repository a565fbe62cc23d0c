package api

import (
	"crypto/tls"
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Listeners are the node's bound listeners; Web may be nil. With APITLS,
// the API port speaks HTTPS (the connection limit counts TCP connections,
// handshakes included).
type Listeners struct {
	API, P2P, Web net.Listener
	APITLS        *tls.Config
}

// Start serves the API, the p2p endpoint and the status page on l, each
// with the read bounds of api.timeout and at most api.max_connections
// connections at a time (a separate count per port), and returns the
// servers so that the caller can shut them down.
func (s *Server) Start(l Listeners, errLog *log.Logger) []*http.Server {
	pairs := []struct {
		h  http.Handler
		ln net.Listener
	}{{s, l.API}, {s.P2PHandler(), l.P2P}}
	if l.Web != nil {
		pairs = append(pairs, struct {
			h  http.Handler
			ln net.Listener
		}{s.WebHandler(), l.Web})
	}
	var servers []*http.Server
	for i, p := range pairs {
		hs := s.httpServer(p.h, errLog)
		ln := LimitListener(p.ln, s.cfg.API.MaxConnections)
		if i == 0 && l.APITLS != nil {
			ln = tls.NewListener(ln, l.APITLS)
		}
		go func() {
			if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				s.log.Error("server stopped", "address", ln.Addr().String(), "error", err)
			}
		}()
		servers = append(servers, hs)
	}
	return servers
}

// httpServer bounds how long a request may take to arrive: its headers and
// its body together within api.timeout (a client that trickles a body is
// cut off), the headers alone within 10 s at most.
func (s *Server) httpServer(h http.Handler, errLog *log.Logger) *http.Server {
	timeout := s.cfg.API.Timeout.D()
	header := 10 * time.Second
	if timeout < header {
		header = timeout
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: header,
		ReadTimeout:       timeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          errLog,
	}
}

// LimitListener accepts at most max connections at a time. Past it, Accept
// waits until an accepted connection closes: new connections wait in the
// kernel's backlog (or are refused by it once that is full), and the
// connections already accepted are not touched.
func LimitListener(ln net.Listener, max int) net.Listener {
	if max < 1 {
		max = 1
	}
	return &limitListener{Listener: ln, slots: make(chan struct{}, max), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	slots     chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.slots <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.slots }}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// limitConn gives its slot back when it is closed (once).
type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
