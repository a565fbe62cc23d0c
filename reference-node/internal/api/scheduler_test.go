package api

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
	"github.com/ollama-lab/distributed/reference-node/internal/config"
)

func ids(ns []cluster.Node) string {
	var s []string
	for _, n := range ns {
		s = append(s, n.ID)
	}
	return strings.Join(s, ",")
}

func TestSchedulerOrder(t *testing.T) {
	load := func(id string, f float64) cluster.Node {
		return cluster.Node{ID: id, Capabilities: cluster.Capabilities{LoadFactor: f}}
	}
	cands := []cluster.Node{load("c", 0.5), load("a", 0.5), load("b", 0)}

	rr := newScheduler(config.Scheduler{Algorithm: "round_robin", WorkerCount: 1})
	var firsts []string
	for i := 0; i < 6; i++ {
		firsts = append(firsts, rr.order(cands, "a")[0].ID)
	}
	if got := strings.Join(firsts, ""); got != "abcabc" {
		t.Errorf("round robin picks %s", got)
	}

	ll := newScheduler(config.Scheduler{Algorithm: "least_loaded", WorkerCount: 1})
	if got := ids(ll.order(cands, "c")); got != "b,c,a" {
		t.Errorf("least_loaded order %s (want least load first, then this node, then id)", got)
	}
	if got := ids(ll.order(cands[:1], "x")); got != "c" {
		t.Errorf("single candidate: %s", got)
	}
}

func TestSchedulerQueue(t *testing.T) {
	sc := newScheduler(config.Scheduler{Algorithm: "round_robin", WorkerCount: 1, QueueSize: 0})
	release, err := sc.acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sc.acquire(context.Background()); !errors.Is(err, errQueueFull) {
		t.Errorf("queue_size 0 with the worker busy: %v", err)
	}
	release()
	r2, err := sc.acquire(context.Background())
	if err != nil {
		t.Fatalf("worker free again: %v", err)
	}
	defer r2()

	q := newScheduler(config.Scheduler{Algorithm: "round_robin", WorkerCount: 1, QueueSize: 1})
	r3, _ := q.acquire(context.Background())
	defer r3()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("queued request with a cancelled context: %v", err)
	}
}
