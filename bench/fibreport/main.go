// Command fibreport reads `go test -bench` output of the fib package on
// stdin and prints, per table size, each implementation's lookup, update
// and memory figures and the ratios of fib's to the others' (below 1
// means fib is better), followed by the targets the FIB must meet.
//
// Usage:
//
//	go test -run '^$' -bench . -benchmem ./fib/ | go run ./bench/fibreport
//
// Benchmarks are matched by name: everything before "/impl=" is the row,
// the rest the implementation. With -count > 1 the median is used. With
// -strict the exit status is 2 when a target is missed or was not
// measured.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// ours is the implementation the others are compared with; oursFull is
// its Lookup (with the matched prefix), measured in the lookup rows only.
const (
	ours     = "fib"
	oursFull = "fib.Lookup"
)

// impls in row order, with the names the table prints.
var impls = []struct{ name, label string }{
	{ours, "fib"},
	{oursFull, "fib.Lookup"},
	{"bart", "bart"},
	{"bartfast", "bart.Fast"},
	{"cidranger", "cidranger"},
}

// others are the implementations fib is compared with, in ratio order.
var others = []string{"bart", "bartfast", "cidranger"}

// column is one figure of the table: a unit of a benchmark row, scaled.
type column struct {
	label string
	row   string // benchmark row before "/size="
	unit  string
	scale float64
}

var columns = []column{
	{"random ns", "BenchmarkLookup/random", "ns/op", 1},
	{"hot ns", "BenchmarkLookup/hot", "ns/op", 1},
	{"update ns", "BenchmarkUpdate/insert+delete", "ns/op", 1},
	{"allocs/update", "BenchmarkUpdate/insert+delete", "allocs/op", 0.5}, // an op is two updates
	{"B/prefix", "BenchmarkBuild/table", "B/prefix", 1},
	{"build ns/prefix", "BenchmarkBuild/table", "ns/prefix", 1},
}

// gomaxprocs is the "-N" suffix go test appends to names.
var gomaxprocs = regexp.MustCompile(`-\d+$`)

type result map[string][]float64 // unit → samples

type report struct {
	sizes []int                        // ascending
	cells map[string]map[string]result // row → impl → result
}

func main() {
	strict := flag.Bool("strict", false, "exit with status 2 when a target is missed or not measured")
	flag.Parse()
	r, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fibreport:", err)
		os.Exit(1)
	}
	if len(r.sizes) == 0 {
		fmt.Fprintln(os.Stderr, "fibreport: no benchmark lines with /size=…/impl= on stdin")
		os.Exit(1)
	}
	r.print(os.Stdout)
	if !r.check(os.Stdout) && *strict {
		os.Exit(2)
	}
}

func parse(in io.Reader) (*report, error) {
	r := &report{cells: map[string]map[string]result{}}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := gomaxprocs.ReplaceAllString(f[0], "")
		row, impl, ok := strings.Cut(name, "/impl=")
		if !ok {
			continue
		}
		if size := sizeOf(row); size > 0 && !slices.Contains(r.sizes, size) {
			r.sizes = append(r.sizes, size)
		}
		if r.cells[row] == nil {
			r.cells[row] = map[string]result{}
		}
		res := r.cells[row][impl]
		if res == nil {
			res = result{}
			r.cells[row][impl] = res
		}
		// f[1] is the iteration count; then value/unit pairs.
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark %s: value %q: %w", f[0], f[i], err)
			}
			res[f[i+1]] = append(res[f[i+1]], v)
		}
	}
	slices.Sort(r.sizes)
	return r, sc.Err()
}

// value returns the median sample of row/impl/unit.
func (r *report) value(row, impl, unit string) (float64, bool) {
	s := slices.Clone(r.cells[row][impl][unit])
	if len(s) == 0 {
		return 0, false
	}
	slices.Sort(s)
	return s[len(s)/2], true
}

// get returns column c of impl at size.
func (r *report) get(c column, size int, impl string) (float64, bool) {
	v, ok := r.value(fmt.Sprintf("%s/size=%d", c.row, size), impl, c.unit)
	return v * c.scale, ok
}

func (r *report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "size\timpl\t")
	for _, c := range columns {
		fmt.Fprintf(tw, "%s\t", c.label)
	}
	fmt.Fprintln(tw)
	for _, size := range r.sizes {
		for _, im := range impls {
			if !r.measured(size, im.name) {
				continue
			}
			fmt.Fprintf(tw, "%d\t%s\t", size, im.label)
			for _, c := range columns {
				v, ok := r.get(c, size, im.name)
				fmt.Fprintf(tw, "%s\t", num(v, ok))
			}
			fmt.Fprintln(tw)
		}
		for _, o := range others {
			fmt.Fprintf(tw, "%d\tfib/%s\t", size, labelOf(o))
			for _, c := range columns {
				a, aok := r.get(c, size, ours)
				b, bok := r.get(c, size, o)
				fmt.Fprintf(tw, "%s\t", ratio(a, b, aok && bok))
			}
			fmt.Fprintln(tw)
		}
	}
	tw.Flush()
}

// measured reports whether any column has a value for impl at size.
func (r *report) measured(size int, impl string) bool {
	for _, c := range columns {
		if _, ok := r.get(c, size, impl); ok {
			return true
		}
	}
	return false
}

func labelOf(impl string) string {
	for _, im := range impls {
		if im.name == impl {
			return im.label
		}
	}
	return impl
}

func num(v float64, ok bool) string {
	switch {
	case !ok:
		return "-"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	default:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
}

func ratio(a, b float64, ok bool) string {
	if !ok || b == 0 {
		return "-"
	}
	return strconv.FormatFloat(a/b, 'f', 2, 64) + "x"
}

// check prints the FIB's targets, one line each, and reports whether all
// were measured and met. At every size: fib's LookupValue and Lookup
// faster than bart.Table (random and hot addresses) without allocating,
// and from 100k prefixes on at least 20x faster than cidranger; an
// insert+delete pair at most twice bart.Table's time with at most 3
// allocations per update; at most twice bart.Table's bytes per prefix up
// to 1k prefixes and no more than it above. At the largest size, building
// the table from one batch no slower than bart.Table's insert loop.
func (r *report) check(w io.Writer) bool {
	pass := true
	say := func(ok bool, format string, args ...any) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
			pass = false
		}
		fmt.Fprintf(w, "%s %s\n", mark, fmt.Sprintf(format, args...))
	}
	// compare checks mine <= limit*theirs (strictly below when strict).
	compare := func(c column, size int, mine, theirs string, limit float64, strict bool) {
		a, aok := r.get(c, size, mine)
		b, bok := r.get(c, size, theirs)
		if !aok || !bok {
			say(false, "size=%d %s: %s or %s not measured", size, c.label, labelOf(mine), labelOf(theirs))
			return
		}
		want := "<="
		ok := a <= limit*b
		if strict {
			want, ok = "<", a < limit*b
		}
		if limit == 1 {
			say(ok, "size=%d %s: %s %s vs %s %s (want %s)", size, c.label, labelOf(mine), num(a, true), labelOf(theirs), num(b, true), want)
		} else {
			say(ok, "size=%d %s: %s %s vs %s %s = %.2fx (want %s %gx)", size, c.label, labelOf(mine), num(a, true), labelOf(theirs), num(b, true), a/b, want, limit)
		}
	}
	fmt.Fprintln(w)
	for _, size := range r.sizes {
		for _, c := range columns[:2] { // lookups
			for _, mine := range []string{ours, oursFull} {
				compare(c, size, mine, "bart", 1, true)
				row := fmt.Sprintf("%s/size=%d", c.row, size)
				a, ok := r.value(row, mine, "allocs/op")
				say(ok && a == 0, "size=%d %s: %s %s allocs/op (want 0)", size, c.label, labelOf(mine), num(a, ok))
			}
			if size >= 100_000 {
				a, aok := r.get(c, size, ours)
				cr, cok := r.get(c, size, "cidranger")
				say(aok && cok && a*20 <= cr, "size=%d %s: cidranger/fib = %.1fx (want >= 20x)", size, c.label, cr/a)
			}
		}
		compare(columns[2], size, ours, "bart", 2, false)
		a, ok := r.get(columns[3], size, ours)
		say(ok && a <= 3, "size=%d allocs/update: fib %s (want <= 3)", size, num(a, ok))
		if size <= 1000 {
			compare(columns[4], size, ours, "bart", 2, false)
		} else {
			compare(columns[4], size, ours, "bart", 1, false)
		}
	}
	compare(columns[5], r.sizes[len(r.sizes)-1], ours, "bart", 1, false)
	return pass
}

// sizeOf returns n of a "size=n" element of row, or 0.
func sizeOf(row string) int {
	for _, e := range strings.Split(row, "/") {
		if s, ok := strings.CutPrefix(e, "size="); ok {
			n, _ := strconv.Atoi(s)
			return n
		}
	}
	return 0
}
