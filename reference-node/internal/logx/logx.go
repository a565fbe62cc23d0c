// Package logx writes structured logs as one JSON object per line.
package logx

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Levels in increasing severity.
const (
	Debug = iota
	Info
	Warn
	Error
)

var levelNames = map[string]int{"debug": Debug, "info": Info, "warn": Warn, "error": Error}
var levelText = []string{"debug", "info", "warn", "error"}

// Logger is safe for concurrent use. Fields are key/value pairs.
type Logger struct {
	mu     *sync.Mutex // shared by loggers made With()
	out    io.Writer
	level  int
	closer io.Closer
	base   map[string]interface{}
}

// New builds a logger for a level name ("info") and output ("console",
// "file", "both"). The file and its directory are created when needed.
func New(level, output, file string) (*Logger, error) {
	l := &Logger{mu: &sync.Mutex{}, level: levelNames[level], out: os.Stdout}
	if output == "file" || output == "both" {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(file, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			return nil, err
		}
		l.closer = f
		l.out = f
		if output == "both" {
			l.out = io.MultiWriter(os.Stdout, f)
		}
	}
	return l, nil
}

// NewWriter builds a logger for a level name that writes to w.
func NewWriter(level string, w io.Writer) *Logger {
	return &Logger{mu: &sync.Mutex{}, level: levelNames[level], out: w}
}

// Discard returns a logger that writes nothing (tests).
func Discard() *Logger { return &Logger{mu: &sync.Mutex{}, out: io.Discard, level: Error + 1} }

// With returns a logger that adds the given fields to every line.
func (l *Logger) With(kv ...interface{}) *Logger {
	base := map[string]interface{}{}
	for k, v := range l.base {
		base[k] = v
	}
	addFields(base, kv)
	return &Logger{mu: l.mu, out: l.out, level: l.level, base: base}
}

// Close closes the log file, if any.
func (l *Logger) Close() error {
	if l.closer != nil {
		return l.closer.Close()
	}
	return nil
}

// Enabled tells whether a level would be written.
func (l *Logger) Enabled(level int) bool { return level >= l.level }

func (l *Logger) Debug(msg string, kv ...interface{}) { l.log(Debug, msg, kv) }
func (l *Logger) Info(msg string, kv ...interface{})  { l.log(Info, msg, kv) }
func (l *Logger) Warn(msg string, kv ...interface{})  { l.log(Warn, msg, kv) }
func (l *Logger) Error(msg string, kv ...interface{}) { l.log(Error, msg, kv) }

func (l *Logger) log(level int, msg string, kv []interface{}) {
	if l == nil || level < l.level {
		return
	}
	rec := map[string]interface{}{}
	for k, v := range l.base {
		rec[k] = v
	}
	addFields(rec, kv)
	rec["time"] = time.Now().UTC().Format(time.RFC3339Nano)
	rec["level"] = levelText[level]
	rec["msg"] = msg
	line, err := json.Marshal(rec)
	if err != nil {
		line = []byte(`{"level":"error","msg":"unloggable record"}`)
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	_, _ = l.out.Write(line)
}

func addFields(m map[string]interface{}, kv []interface{}) {
	for i := 0; i+1 < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			continue
		}
		if err, isErr := kv[i+1].(error); isErr {
			m[k] = err.Error()
		} else {
			m[k] = kv[i+1]
		}
	}
}
