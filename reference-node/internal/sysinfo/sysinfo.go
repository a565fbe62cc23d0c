// Package sysinfo samples host resource usage from /proc (Linux). On other
// systems, or when /proc is unreadable, the figures stay 0.
package sysinfo

import (
	"bufio"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sample is one reading, typed as upstream's NodeMetrics (contract section
// 3): CPU and the *_percent fields are percentages (0-100), memory and disk
// usage are bytes in use, network figures bytes per second.
type Sample struct {
	CPUUsage      float64 `json:"cpu_usage"`
	MemoryUsage   Int     `json:"memory_usage"`
	DiskUsage     Int     `json:"disk_usage"`
	MemoryPercent float64 `json:"memory_percent"`
	DiskPercent   float64 `json:"disk_percent"`
	NetworkRX     Int     `json:"network_rx"`
	NetworkTX     Int     `json:"network_tx"`
}

// Int is an integer that also decodes from a JSON float (truncated), so a
// node can read the records of a peer that still sends the old percentage
// floats during a rolling upgrade.
type Int int64

// UnmarshalJSON accepts any JSON number.
func (i *Int) UnmarshalJSON(b []byte) error {
	var f json.Number
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if n, err := f.Int64(); err == nil {
		*i = Int(n)
		return nil
	}
	v, err := f.Float64()
	if err != nil {
		return err
	}
	*i = Int(v)
	return nil
}

// Sampler remembers the previous CPU and network counters so it can report
// rates.
type Sampler struct {
	path              string // filesystem whose usage is reported
	prevIdle, prevAll uint64
	prevRX, prevTX    uint64
	prevAt            time.Time
}

// NewSampler reports disk usage of the filesystem holding path.
func NewSampler(path string) *Sampler { return &Sampler{path: path} }

// Read takes a sample.
func (s *Sampler) Read() Sample {
	var out Sample
	if idle, all, ok := cpuTimes(); ok {
		// Since the previous sample; the first one covers the time since boot.
		if all > s.prevAll && idle >= s.prevIdle {
			busy := float64((all - s.prevAll) - (idle - s.prevIdle))
			out.CPUUsage = round(100 * busy / float64(all-s.prevAll))
		}
		s.prevIdle, s.prevAll = idle, all
	}
	if total, avail := MemInfo(); total > 0 && avail <= total {
		out.MemoryUsage = Int(total - avail)
		out.MemoryPercent = round(100 * float64(total-avail) / float64(total))
	}
	var st syscall.Statfs_t
	if syscall.Statfs(s.path, &st) == nil && st.Blocks > 0 {
		out.DiskUsage = Int((st.Blocks - st.Bfree) * uint64(st.Bsize))
		out.DiskPercent = round(100 * float64(st.Blocks-st.Bfree) / float64(st.Blocks))
	}
	now := time.Now()
	rx, tx := netBytes()
	if el := now.Sub(s.prevAt).Seconds(); !s.prevAt.IsZero() && el > 0 && rx >= s.prevRX && tx >= s.prevTX {
		out.NetworkRX = Int(float64(rx-s.prevRX) / el)
		out.NetworkTX = Int(float64(tx-s.prevTX) / el)
	}
	s.prevRX, s.prevTX, s.prevAt = rx, tx, now
	return out
}

func round(f float64) float64 { return float64(int64(f*100+0.5)) / 100 }

func cpuTimes() (idle, all uint64, ok bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0, false
	}
	fields := strings.Fields(sc.Text())
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, 0, false
	}
	for i, v := range fields[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		all += n
		if i == 3 || i == 4 { // idle, iowait
			idle += n
		}
	}
	return idle, all, true
}

// MemInfo returns total and available memory in bytes.
func MemInfo() (total, avail uint64) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		n, _ := strconv.ParseUint(fields[1], 10, 64)
		switch fields[0] {
		case "MemTotal:":
			total = n * 1024
		case "MemAvailable:":
			avail = n * 1024
		}
	}
	return total, avail
}

// netBytes sums received and sent bytes over every interface.
func netBytes() (rx, tx uint64) {
	f, err := os.Open("/proc/net/dev")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, ":")
		if i < 0 {
			continue
		}
		fields := strings.Fields(line[i+1:])
		if len(fields) < 9 {
			continue
		}
		r, _ := strconv.ParseUint(fields[0], 10, 64)
		t, _ := strconv.ParseUint(fields[8], 10, 64)
		rx += r
		tx += t
	}
	return rx, tx
}
