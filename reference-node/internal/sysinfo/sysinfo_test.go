package sysinfo

import (
	"encoding/json"
	"os"
	"testing"
)

func TestSample(t *testing.T) {
	s := NewSampler(os.TempDir())
	first := s.Read()
	second := s.Read()
	for _, v := range []float64{first.MemoryPercent, first.DiskPercent, second.CPUUsage, second.MemoryPercent} {
		if v < 0 || v > 100 {
			t.Errorf("percentage out of range: %+v %+v", first, second)
		}
	}
	if _, err := os.Stat("/proc/meminfo"); err == nil {
		total, avail := MemInfo()
		if total == 0 || avail > total {
			t.Errorf("MemInfo() = %d, %d", total, avail)
		}
		// bytes, not a percentage: more than a megabyte is in use on any Linux
		if first.MemoryUsage < 1<<20 || uint64(first.MemoryUsage) > total || first.DiskUsage < 1<<20 {
			t.Errorf("usage not in bytes: %+v (total memory %d)", first, total)
		}
		if first.NetworkRX != 0 || second.NetworkRX < 0 {
			t.Errorf("network rates: first %d (no earlier sample), second %d", first.NetworkRX, second.NetworkRX)
		}
	}
}

func TestIntDecodesOldFloats(t *testing.T) {
	var s Sample
	if err := json.Unmarshal([]byte(`{"memory_usage": 42.7, "disk_usage": 12, "network_rx": 3e3}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.MemoryUsage != 42 || s.DiskUsage != 12 || s.NetworkRX != 3000 {
		t.Errorf("%+v", s)
	}
	out, _ := json.Marshal(Sample{MemoryUsage: 5 << 30})
	if string(out) != `{"cpu_usage":0,"memory_usage":5368709120,"disk_usage":0,"memory_percent":0,"disk_percent":0,"network_rx":0,"network_tx":0}` {
		t.Errorf("encoding: %s", out)
	}
}
