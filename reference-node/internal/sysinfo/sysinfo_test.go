package sysinfo

import (
	"os"
	"testing"
)

func TestSample(t *testing.T) {
	s := NewSampler(os.TempDir())
	first := s.Read()
	second := s.Read()
	for _, v := range []float64{first.MemoryUsage, first.DiskUsage, second.CPUUsage, second.MemoryUsage} {
		if v < 0 || v > 100 {
			t.Errorf("percentage out of range: %+v %+v", first, second)
		}
	}
	if _, err := os.Stat("/proc/meminfo"); err == nil {
		if total, avail := MemInfo(); total == 0 || avail > total {
			t.Errorf("MemInfo() = %d, %d", total, avail)
		}
	}
}
