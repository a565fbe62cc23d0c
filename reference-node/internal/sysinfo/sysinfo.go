// Package sysinfo samples host resource usage from /proc (Linux). On other
// systems, or when /proc is unreadable, the figures stay 0.
package sysinfo

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Sample is one reading. Usages are percentages (0-100).
type Sample struct {
	CPUUsage    float64 `json:"cpu_usage"`
	MemoryUsage float64 `json:"memory_usage"`
	DiskUsage   float64 `json:"disk_usage"`
	NetworkRX   uint64  `json:"network_rx"`
	NetworkTX   uint64  `json:"network_tx"`
}

// Sampler remembers the previous CPU counters so it can report a rate.
type Sampler struct {
	path              string // filesystem whose usage is reported
	prevIdle, prevAll uint64
}

// NewSampler reports disk usage of the filesystem holding path.
func NewSampler(path string) *Sampler { return &Sampler{path: path} }

// Read takes a sample.
func (s *Sampler) Read() Sample {
	var out Sample
	if idle, all, ok := cpuTimes(); ok {
		if s.prevAll > 0 && all > s.prevAll {
			busy := float64((all - s.prevAll) - (idle - s.prevIdle))
			out.CPUUsage = round(100 * busy / float64(all-s.prevAll))
		}
		s.prevIdle, s.prevAll = idle, all
	}
	if total, avail := MemInfo(); total > 0 {
		out.MemoryUsage = round(100 * float64(total-avail) / float64(total))
	}
	var st syscall.Statfs_t
	if syscall.Statfs(s.path, &st) == nil && st.Blocks > 0 {
		out.DiskUsage = round(100 * float64(st.Blocks-st.Bfree) / float64(st.Blocks))
	}
	out.NetworkRX, out.NetworkTX = netBytes()
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
