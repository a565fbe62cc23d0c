package api

import (
	"sync"
	"time"
)

// rateWindow is how far back requests_per_sec looks.
const rateWindow = 60

// rateMeter counts requests in one-second buckets over the last minute.
type rateMeter struct {
	mu      sync.Mutex
	seconds [rateWindow]int64 // unix second of each bucket
	counts  [rateWindow]uint64
}

func (m *rateMeter) add(now time.Time) {
	sec := now.Unix()
	i := sec % rateWindow
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seconds[i] != sec {
		m.seconds[i], m.counts[i] = sec, 0
	}
	m.counts[i]++
}

// perSecond is the mean rate over the last minute, or over the time since
// start when the node is younger than that.
func (m *rateMeter) perSecond(now, started time.Time) float64 {
	sec := now.Unix()
	var n uint64
	m.mu.Lock()
	for i := range m.counts {
		if sec-m.seconds[i] < rateWindow {
			n += m.counts[i]
		}
	}
	m.mu.Unlock()
	span := now.Sub(started).Seconds()
	if span > rateWindow {
		span = rateWindow
	}
	if span < 1 {
		span = 1
	}
	return float64(int64(float64(n)/span*1000)) / 1000
}
