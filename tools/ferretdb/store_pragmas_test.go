package main

import (
	"strings"
	"testing"
)

func TestStorePragmasKeepTemporaryFilesInMemory(t *testing.T) {
	for in, want := range map[string]string{
		"file:/data/": "_pragma=temp_store%28memory%29",
		"file:/data/?_pragma=synchronous(normal)": "_pragma=synchronous%28normal%29&_pragma=temp_store%28memory%29",
		"file:/data/?_pragma=temp_store(file)":    "_pragma=temp_store(file)",
	} {
		got, err := withStorePragmas(in)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(got, "?"+want) || !strings.HasPrefix(got, "file:/data/") {
			t.Errorf("withStorePragmas(%q) = %q, want the query %q", in, got, want)
		}
	}
}
