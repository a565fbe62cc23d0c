package api

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// prom collects the request counters and latency histogram of /metrics.
type prom struct {
	mu       sync.Mutex
	requests map[[2]string]uint64 // {route, code} -> count
	buckets  []float64            // upper bounds, seconds
	counts   []uint64             // per bucket (not cumulative)
	sum      float64
	count    uint64
}

func newProm() *prom {
	b := []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	return &prom{requests: map[[2]string]uint64{}, buckets: b, counts: make([]uint64, len(b))}
}

func (p *prom) observe(route string, code int, d time.Duration) {
	sec := d.Seconds()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests[[2]string{route, fmt.Sprint(code)}]++
	for i, ub := range p.buckets {
		if sec <= ub {
			p.counts[i]++
			break
		}
	}
	p.sum += sec
	p.count++
}

func (p *prom) total() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

// gauge is one unlabelled gauge for the exposition.
type gauge struct {
	name, help string
	value      float64
}

// write renders the Prometheus text format (version 0.0.4).
func (p *prom) write(w io.Writer, gauges []gauge) {
	for _, g := range gauges {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", g.name, g.help, g.name, g.name, g.value)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	const rt = "ollama_distributed_requests_total"
	fmt.Fprintf(w, "# HELP %s HTTP requests by route and status code.\n# TYPE %s counter\n", rt, rt)
	keys := make([][2]string, 0, len(p.requests))
	for k := range p.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "%s{route=\"%s\",code=\"%s\"} %d\n", rt, escapeLabel(k[0]), k[1], p.requests[k])
	}
	const hd = "ollama_distributed_request_duration_seconds"
	fmt.Fprintf(w, "# HELP %s HTTP request latency.\n# TYPE %s histogram\n", hd, hd)
	var cum uint64
	for i, ub := range p.buckets {
		cum += p.counts[i]
		fmt.Fprintf(w, "%s_bucket{le=\"%g\"} %d\n", hd, ub, cum)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %g\n%s_count %d\n", hd, p.count, hd, p.sum, hd, p.count)
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}
