package main

import (
	"fmt"
	"strings"
	"testing"
)

// figures is a synthetic benchmark run: impl → column label → size → value.
type figures map[string]map[string]map[int]float64

// passing returns a run that meets every target, barely where a target
// has a limit.
func passing() figures {
	f := figures{}
	set := func(impl, col string, size int, v float64) {
		if f[impl] == nil {
			f[impl] = map[string]map[int]float64{}
		}
		if f[impl][col] == nil {
			f[impl][col] = map[int]float64{}
		}
		f[impl][col][size] = v
	}
	for _, size := range []int{10, 1000, 100_000, 1_000_000} {
		for _, impl := range []string{"bart", "bartfast", "cidranger"} {
			set(impl, "random", size, 100)
			set(impl, "hot", size, 100)
			set(impl, "update", size, 1000)
			set(impl, "allocs", size, 4)
			set(impl, "B/prefix", size, 50)
			set(impl, "build", size, 300)
		}
		set("cidranger", "random", size, 2000)
		set("cidranger", "hot", size, 2000)
		for _, impl := range []string{"fib", "fib.Lookup"} {
			set(impl, "random", size, 99)
			set(impl, "hot", size, 99)
		}
		set("fib", "update", size, 2000)
		set("fib", "allocs", size, 6) // 3 per update
		if size <= 1000 {
			set("fib", "B/prefix", size, 100)
		} else {
			set("fib", "B/prefix", size, 50)
		}
		set("fib", "build", size, 300)
	}
	return f
}

// text renders f as go test -bench output.
func (f figures) text() string {
	var b strings.Builder
	for impl, cols := range f {
		for col, bySize := range cols {
			for size, v := range bySize {
				switch col {
				case "random", "hot":
					fmt.Fprintf(&b, "BenchmarkLookup/%s/size=%d/impl=%s-2 1000 %g ns/op 0 B/op 0 allocs/op\n", col, size, impl, v)
				case "update":
					fmt.Fprintf(&b, "BenchmarkUpdate/insert+delete/size=%d/impl=%s-2 1000 %g ns/op 100 B/op %g allocs/op\n", size, impl, v, cols["allocs"][size])
				case "B/prefix":
					fmt.Fprintf(&b, "BenchmarkBuild/table/size=%d/impl=%s-2 1000 0.3 ns/op %g B/prefix %g ns/prefix 0 B/op 0 allocs/op\n", size, impl, v, cols["build"][size])
				}
			}
		}
	}
	return b.String()
}

func runCheck(t *testing.T, f figures) (bool, string) {
	t.Helper()
	r, err := parse(strings.NewReader(f.text()))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	r.print(&out)
	ok := r.check(&out)
	return ok, out.String()
}

func TestCheckPasses(t *testing.T) {
	if ok, out := runCheck(t, passing()); !ok {
		t.Fatalf("check fails on a run meeting every target:\n%s", out)
	}
}

// TestCheckFails misses one target at a time: check must fail, say
// which, and fail nothing else.
func TestCheckFails(t *testing.T) {
	tests := []struct {
		name   string
		impl   string
		col    string
		size   int
		value  float64
		delete bool
		want   string // in the FAIL line
	}{
		{name: "random lookup as slow as bart", impl: "fib", col: "random", size: 10, value: 100, want: "size=10 random ns: fib"},
		{name: "hot Lookup slower than bart", impl: "fib.Lookup", col: "hot", size: 1_000_000, value: 101, want: "size=1000000 hot ns: fib.Lookup"},
		{name: "lookup not measured", impl: "fib.Lookup", col: "random", size: 1000, delete: true, want: "not measured"},
		{name: "cidranger less than 20x slower", impl: "cidranger", col: "hot", size: 100_000, value: 1900, want: "cidranger/fib"},
		{name: "update over twice bart", impl: "fib", col: "update", size: 1_000_000, value: 2001, want: "size=1000000 update ns"},
		{name: "update not measured", impl: "fib", col: "update", size: 100_000, delete: true, want: "size=100000 update ns"},
		{name: "allocations per update", impl: "fib", col: "allocs", size: 1000, value: 6.5, want: "size=1000 allocs/update"},
		{name: "small table over twice bart's bytes", impl: "fib", col: "B/prefix", size: 10, value: 101, want: "size=10 B/prefix"},
		{name: "large table over bart's bytes", impl: "fib", col: "B/prefix", size: 100_000, value: 51, want: "size=100000 B/prefix"},
		{name: "batch build slower than bart's loop", impl: "fib", col: "build", size: 1_000_000, value: 301, want: "size=1000000 build ns/prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := passing()
			if tt.delete {
				delete(f[tt.impl][tt.col], tt.size)
			} else {
				f[tt.impl][tt.col][tt.size] = tt.value
			}
			ok, out := runCheck(t, f)
			if ok {
				t.Fatalf("check passes; want a failure for %s:\n%s", tt.name, out)
			}
			named := false
			for _, line := range strings.Split(out, "\n") {
				if !strings.HasPrefix(line, "FAIL") {
					continue
				}
				named = named || strings.Contains(line, tt.want)
				if !strings.Contains(line, fmt.Sprintf("size=%d ", tt.size)) {
					t.Errorf("unexpected %q: only size=%d misses a target", line, tt.size)
				}
			}
			if !named {
				t.Errorf("no FAIL line with %q in:\n%s", tt.want, out)
			}
		})
	}
}
