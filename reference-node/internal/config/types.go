package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Duration is a time.Duration written as a Go duration string ("500ms").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// UnmarshalYAML accepts only Go duration strings.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("must be a duration like 500ms, 30s or 24h")
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%q is not a duration (use a Go duration like 500ms, 30s or 24h)", n.Value)
	}
	*d = Duration(v)
	return nil
}

// Seconds is an interval given either as a number of seconds (10) or as a
// Go duration string ("10s").
type Seconds time.Duration

// D returns the value as a time.Duration.
func (s Seconds) D() time.Duration { return time.Duration(s) }

// UnmarshalYAML accepts an integer number of seconds or a duration string.
func (s *Seconds) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			*s = Seconds(time.Duration(i) * time.Second)
			return nil
		}
		if v, err := time.ParseDuration(n.Value); err == nil {
			*s = Seconds(v)
			return nil
		}
	}
	return fmt.Errorf("%q is not a number of seconds or a duration like 10s", n.Value)
}

// Size is a number of bytes written as "10GB", "512MB" or a plain integer.
type Size int64

// UnmarshalYAML parses sizes with ParseSize.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return errors.New("must be a size like 500MB or 10GB")
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return err
	}
	*s = Size(v)
	return nil
}

// sizeUnits: KB/MB/GB/TB are decimal (powers of 1000), KiB/MiB/GiB/TiB are
// binary (powers of 1024). A bare number is bytes.
var sizeUnits = map[string]float64{
	"":    1,
	"B":   1,
	"KB":  1e3,
	"MB":  1e6,
	"GB":  1e9,
	"TB":  1e12,
	"K":   1e3,
	"M":   1e6,
	"G":   1e9,
	"T":   1e12,
	"KIB": 1 << 10,
	"MIB": 1 << 20,
	"GIB": 1 << 30,
	"TIB": 1 << 40,
}

// ParseSize turns "10GB", "1.5 GiB" or "1024" into bytes.
func ParseSize(s string) (int64, error) {
	bad := fmt.Errorf("%q is not a size (use a number with a unit, like 500MB or 10GB)", s)
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	if i == 0 {
		return 0, bad
	}
	num, err := strconv.ParseFloat(t[:i], 64)
	if err != nil {
		return 0, bad
	}
	mult, ok := sizeUnits[strings.ToUpper(strings.TrimSpace(t[i:]))]
	if !ok {
		return 0, bad
	}
	v := num * mult
	if v > 1<<62 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(v), nil
}

// FormatSize renders bytes in the largest decimal unit that keeps a whole
// number in front, e.g. 10GB.
func FormatSize(b int64) string {
	for _, u := range []struct {
		name string
		v    int64
	}{{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}} {
		if b >= u.v && b%u.v == 0 {
			return fmt.Sprintf("%d%s", b/u.v, u.name)
		}
	}
	return fmt.Sprintf("%dB", b)
}
