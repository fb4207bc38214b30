// Command fibreport reads `go test -bench` output of the fib package on
// stdin and prints, per benchmark and table size, the result of each
// implementation and the ratio of fib to each of the others (below 1 means
// fib is better), followed by the checks the FIB must pass.
//
// Usage:
//
//	go test -run '^$' -bench . -benchmem ./fib/ | go run ./bench/fibreport
//
// Benchmarks are matched by name: everything before "/impl=" is the row,
// the rest the implementation. With -count > 1 the median is used. With
// -strict the exit status is 2 when a check fails.
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

// ours is the implementation the others are compared with.
const ours = "fib"

// others in column order.
var others = []string{"bart", "bartfast", "cidranger"}

// metrics reported per row kind, by the unit go test prints.
var metricsOf = map[string][]string{
	"BenchmarkLookup": {"ns/op"},
	"BenchmarkUpdate": {"ns/op"},
	"BenchmarkBuild":  {"B/prefix", "ns/prefix"},
}

// gomaxprocs is the "-N" suffix go test appends to names.
var gomaxprocs = regexp.MustCompile(`-\d+$`)

type result map[string][]float64 // unit → samples

type report struct {
	rows  []string                     // in first-seen order
	cells map[string]map[string]result // row → impl → result
}

func main() {
	strict := flag.Bool("strict", false, "exit with status 2 when a check fails")
	flag.Parse()
	r, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fibreport:", err)
		os.Exit(1)
	}
	if len(r.rows) == 0 {
		fmt.Fprintln(os.Stderr, "fibreport: no benchmark lines with /impl= on stdin")
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
		if r.cells[row] == nil {
			r.cells[row] = map[string]result{}
			r.rows = append(r.rows, row)
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

func kind(row string) string {
	k, _, _ := strings.Cut(row, "/")
	return k
}

func (r *report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "benchmark\tunit\t%s\t%s\t", ours, strings.Join(others, "\t"))
	for _, o := range others {
		fmt.Fprintf(tw, "%s/%s\t", ours, o)
	}
	fmt.Fprintf(tw, "%s allocs/op\t\n", ours)
	for _, row := range r.rows {
		for _, unit := range metricsOf[kind(row)] {
			mine, ok := r.value(row, ours, unit)
			fmt.Fprintf(tw, "%s\t%s\t%s\t", strings.TrimPrefix(row, "Benchmark"), unit, num(mine, ok))
			for _, o := range others {
				v, ok := r.value(row, o, unit)
				fmt.Fprintf(tw, "%s\t", num(v, ok))
			}
			for _, o := range others {
				v, vok := r.value(row, o, unit)
				fmt.Fprintf(tw, "%s\t", ratio(mine, v, ok && vok))
			}
			a, aok := r.value(row, ours, "allocs/op")
			fmt.Fprintf(tw, "%s\t\n", num(a, aok))
		}
	}
	tw.Flush()
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
	return strconv.FormatFloat(a/b, 'f', 3, 64)
}

// check prints the FIB's targets and reports whether all were met:
// lookups faster than bart.Table at every size, at least 20x faster than
// cidranger from 100k prefixes on, no allocation, and no more memory per
// prefix than bart.Table at the largest size.
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
	fmt.Fprintln(w)
	largest, largestRow := 0, ""
	for _, row := range r.rows {
		size := sizeOf(row)
		switch kind(row) {
		case "BenchmarkLookup":
			mine, ok1 := r.value(row, ours, "ns/op")
			bt, ok2 := r.value(row, "bart", "ns/op")
			if ok1 && ok2 {
				say(mine < bt, "%s: %s %.1f ns/op vs bart %.1f ns/op", row, ours, mine, bt)
			}
			if cr, ok := r.value(row, "cidranger", "ns/op"); ok1 && ok && size >= 100_000 {
				say(mine*20 <= cr, "%s: cidranger/%s = %.1fx (want >= 20x)", row, ours, cr/mine)
			}
			if a, ok := r.value(row, ours, "allocs/op"); ok {
				say(a == 0, "%s: %s %.0f allocs/op", row, ours, a)
			}
		case "BenchmarkBuild":
			if size > largest {
				largest, largestRow = size, row
			}
		}
	}
	if largestRow != "" {
		mine, ok1 := r.value(largestRow, ours, "B/prefix")
		bt, ok2 := r.value(largestRow, "bart", "B/prefix")
		if ok1 && ok2 {
			say(mine <= bt, "%s: %s %.1f B/prefix vs bart %.1f B/prefix", largestRow, ours, mine, bt)
		}
	}
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
