package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestLazyHandlerWritesWhatTheTextHandlerWrites(t *testing.T) {
	var eager, lazy bytes.Buffer
	options := &slog.HandlerOptions{
		Level: slog.LevelInfo,
		// Without the time, the two outputs can be compared.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}
	for _, out := range []struct {
		logger *slog.Logger
	}{
		{slog.New(slog.NewTextHandler(&eager, options))},
		{slog.New(newLazyHandler(slog.NewTextHandler(&lazy, options)))},
	} {
		conn := out.logger.With("conn", "127.0.0.1:5000").WithGroup("sql").With("query", `SELECT "x"`)
		conn.Info("ran", "rows", 2)
		conn.Debug("not written", "args", []int{1, 2})
		out.logger.Warn("plain")
	}
	if eager.String() != lazy.String() {
		t.Fatalf("outputs differ:\neager: %s\nlazy:  %s", eager.String(), lazy.String())
	}
	if !strings.Contains(lazy.String(), `sql.query="SELECT \"x\""`) || strings.Contains(lazy.String(), "not written") {
		t.Fatalf("unexpected output: %s", lazy.String())
	}
}

func TestLazyHandlerFormatsNothingForADisabledLevel(t *testing.T) {
	formatted := 0
	value := slog.AnyValue(logValuer(func() { formatted++ }))
	logger := slog.New(newLazyHandler(slog.NewTextHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	logger.With("query", value).Debug("statement")
	if formatted != 0 {
		t.Fatalf("an attribute of a debug record was formatted %d times at warn level", formatted)
	}
	logger.With("query", value).Warn("statement")
	if formatted != 1 {
		t.Fatalf("the attribute of a written record was formatted %d times", formatted)
	}
}

// logValuer counts how often it is resolved, which the text handler does when it formats.
type logValuer func()

func (f logValuer) LogValue() slog.Value {
	f()
	return slog.StringValue("resolved")
}
