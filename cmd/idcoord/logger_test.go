package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"go.uber.org/zap"
)

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger(logSettings{Level: "warn", Format: "json"}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown", zap.Int64("worker-id", 7))
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%q: %v", buf.String(), err)
	}
	if line["msg"] != "shown" || line["level"] != "warn" || line["worker-id"] != 7.0 || line["time"] == nil {
		t.Errorf("line %v", line)
	}

	buf.Reset()
	log, err = newLogger(logSettings{Level: "debug", Format: "console"}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hello")
	if !strings.Contains(buf.String(), "DEBUG") || !strings.Contains(buf.String(), "hello") {
		t.Errorf("console line %q", buf.String())
	}

	if _, err := newLogger(logSettings{Level: "loud", Format: "json"}, &buf); err == nil {
		t.Error("level loud accepted")
	}
}
