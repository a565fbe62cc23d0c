package api

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// trickle opens a connection, sends head, then one byte of filler every
// 100 ms, and returns how long the server took to answer or hang up.
func trickle(addr, head string) (time.Duration, string) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err.Error()
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		return 0, err.Error()
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	data, _ := io.ReadAll(conn) // until the server closes the connection
	return time.Since(start), string(data)
}

// TestSlowRequestsCutOff: a client that trickles its body, or its headers,
// is cut off about api.timeout after it started, on the API and p2p ports.
func TestSlowRequestsCutOff(t *testing.T) {
	n := startNode(t, nodeSpec{id: "slow", apiExtra: ", timeout: 1s"})
	body := "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"api_key\": \""
	cases := map[string]struct {
		addr, head string
		want408    bool // the API answers a body that did not arrive in time with 408
	}{
		"API body":          {n.apiAddr, fmt.Sprintf(body, "/api/v1/auth/token"), true},
		"API generate body": {n.apiAddr, fmt.Sprintf(body, "/api/generate"), true},
		"API headers":       {n.apiAddr, "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ", false},
		"p2p body":          {n.p2pAddr, fmt.Sprintf(body, "/p2p/v1/gossip"), false},
		"p2p headers":       {n.p2pAddr, "POST /p2p/v1/gossip HTTP/1.1\r\nHost: x\r\nX-Slow: ", false},
	}
	type result struct {
		name   string
		took   time.Duration
		answer string
	}
	results := make(chan result, len(cases))
	for name, c := range cases { // all at once: slow clients do not wait for each other
		name, c := name, c
		go func() {
			took, answer := trickle(c.addr, c.head)
			results <- result{name, took, answer}
		}()
	}
	for range cases {
		r := <-results
		if r.took < 900*time.Millisecond || r.took > 4*time.Second {
			t.Errorf("%s: connection ended after %s, want about api.timeout (1s): %q", r.name, r.took, r.answer)
		}
		if cases[r.name].want408 && !strings.HasPrefix(r.answer, "HTTP/1.1 408") {
			t.Errorf("%s: want a 408 answer, got %q", r.name, r.answer)
		}
	}
	if r := call(t, "GET", n.url("/health"), ""); r.code != 200 {
		t.Errorf("node stopped serving: %d", r.code)
	}
}

// TestConnectionCap: past api.max_connections, a new connection is not
// served while the cap is held, the connections already open keep working,
// and the waiting one is served as soon as one of them closes.
func TestConnectionCap(t *testing.T) {
	n := startNode(t, nodeSpec{id: "capped", apiExtra: ", max_connections: 2"})
	health := "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
	var held []net.Conn
	var readers []*bufio.Reader
	ask := func(i int) int {
		t.Helper()
		if _, err := io.WriteString(held[i], health); err != nil {
			t.Fatal(err)
		}
		held[i].SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(readers[i], nil)
		if err != nil {
			t.Fatalf("held connection %d: %v", i, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", n.apiAddr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held, readers = append(held, c), append(readers, bufio.NewReader(c))
		if code := ask(i); code != 200 {
			t.Fatalf("held connection %d: %d", i, code)
		}
	}

	third := make(chan int, 1)
	go func() {
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 20 * time.Second}
		resp, err := client.Get(n.url("/health"))
		if err != nil {
			third <- 0
			return
		}
		resp.Body.Close()
		third <- resp.StatusCode
	}()
	select {
	case code := <-third:
		t.Fatalf("a third connection was served (%d) while two of two were held", code)
	case <-time.After(700 * time.Millisecond):
	}
	if code := ask(0); code != 200 {
		t.Errorf("an open connection was harmed by the cap: %d", code)
	}
	held[1].Close()
	select {
	case code := <-third:
		if code != 200 {
			t.Errorf("the waiting connection got %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting connection was not served after a held one closed")
	}
}

// TestLimitListenerClose: closing the listener ends an Accept that waits
// for a free slot.
func TestLimitListenerClose(t *testing.T) {
	ln := LimitListener(listenFree(t), 1)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	first, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	done := make(chan error, 1)
	go func() {
		_, err := ln.Accept()
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	ln.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Accept after Close returned a connection")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waits after Close")
	}
}
