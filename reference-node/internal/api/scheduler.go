package api

import (
	"context"
	"errors"
	"sort"
	"sync/atomic"

	"github.com/ollama-lab/distributed/reference-node/internal/cluster"
	"github.com/ollama-lab/distributed/reference-node/internal/config"
)

type scheduler struct {
	algorithm string
	slots     chan struct{} // one per worker
	maxWait   int64         // queue_size
	waiting   int64         // atomic
	next      uint64        // atomic, round robin position
}

var errQueueFull = errors.New("inference queue is full")

func newScheduler(c config.Scheduler) *scheduler {
	return &scheduler{algorithm: c.Algorithm, slots: make(chan struct{}, c.WorkerCount), maxWait: int64(c.QueueSize)}
}

// order returns the candidates in the order they should be tried.
func (sc *scheduler) order(cands []cluster.Node, self string) []cluster.Node {
	out := append([]cluster.Node(nil), cands...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) < 2 {
		return out
	}
	if sc.algorithm == "least_loaded" {
		sort.SliceStable(out, func(i, j int) bool {
			li, lj := out[i].Capabilities.LoadFactor, out[j].Capabilities.LoadFactor
			if li != lj {
				return li < lj
			}
			return out[i].ID == self && out[j].ID != self // prefer no network hop
		})
		return out
	}
	k := int(atomic.AddUint64(&sc.next, 1)-1) % len(out)
	return append(out[k:], out[:k]...)
}

// acquire waits for a worker slot; it fails at once when queue_size
// requests are already waiting.
func (sc *scheduler) acquire(ctx context.Context) (func(), error) {
	select {
	case sc.slots <- struct{}{}:
		return func() { <-sc.slots }, nil
	default:
	}
	if atomic.AddInt64(&sc.waiting, 1) > sc.maxWait {
		atomic.AddInt64(&sc.waiting, -1)
		return nil, errQueueFull
	}
	defer atomic.AddInt64(&sc.waiting, -1)
	select {
	case sc.slots <- struct{}{}:
		return func() { <-sc.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
