package main

// FerretDB derives a logger with the SQL text and its arguments for every statement it runs, and
// logs them at debug level. slog's text handler formats derived attributes at once, whatever the
// level, so at the launcher's warn level every statement still paid for quoting its SQL: a few
// percent of the store's CPU under load. The handler here keeps derived attributes and groups as
// given and hands them to the real handler only when a record is written.

import (
	"context"
	"log/slog"
)

// lazyStep is one WithAttrs or WithGroup call, in the order made.
type lazyStep struct {
	attrs []slog.Attr
	group string
}

type lazyHandler struct {
	inner slog.Handler
	steps []lazyStep
}

func newLazyHandler(inner slog.Handler) slog.Handler {
	return &lazyHandler{inner: inner}
}

func (h *lazyHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *lazyHandler) Handle(ctx context.Context, record slog.Record) error {
	inner := h.inner
	for _, step := range h.steps {
		if step.attrs != nil {
			inner = inner.WithAttrs(step.attrs)
		} else {
			inner = inner.WithGroup(step.group)
		}
	}
	return inner.Handle(ctx, record)
}

func (h *lazyHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(lazyStep{attrs: attrs})
}

func (h *lazyHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(lazyStep{group: name})
}

func (h *lazyHandler) with(step lazyStep) slog.Handler {
	steps := make([]lazyStep, len(h.steps), len(h.steps)+1)
	copy(steps, h.steps)
	return &lazyHandler{inner: h.inner, steps: append(steps, step)}
}
