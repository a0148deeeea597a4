package main

import (
	"os"
	"runtime/debug"
)

// The store allocates a little for every document it reads or writes and keeps little: its live
// heap stays near 30 MB. With Go's default (a collection each time the heap doubles) collecting
// took about a tenth of its CPU under load; a collection each time it grows five-fold takes a
// fraction of that. A soft limit keeps the heap bounded should the live heap grow. Both yield to
// GOGC and GOMEMLIMIT when they are set.
const (
	gcPercent   = 400
	memoryLimit = 512 << 20
)

func tuneGarbageCollector() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}
