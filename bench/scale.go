package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// DefaultScaleSizes are the sizes Scale launches when given none.
var DefaultScaleSizes = []int{10, 100, 500}

// Instance is something a Launcher started: Teardown removes it all, PID is
// the process whose memory it lives in (0: this process).
type Instance struct {
	Teardown func() error
	PID      int
}

// Launcher starts a topology of n hosts (or whatever n counts) and returns
// once it is ready. A Launcher that fails leaves nothing behind.
type Launcher func(ctx context.Context, n int) (Instance, error)

// ScaleResult is what launching and tearing down one size cost.
type ScaleResult struct {
	N         int     `json:"n"`
	LaunchS   float64 `json:"launch_s"`
	TeardownS float64 `json:"teardown_s"`
	RSSBytes  int64   `json:"rss_bytes"`  // resident memory of the instance's process once launched
	RSSBefore int64   `json:"rss_before"` // of this process before launching; 0 when the instance is another process
	// The table's "rss per n" is (RSSBytes-RSSBefore)/N.
}

// Scale launches each size in turn with launch, reading the resident memory
// of the instance's process once it is up, and times launch and teardown.
// It stops at the first failure, tearing down what was launched, and
// returns the results so far. sizes defaults to DefaultScaleSizes.
func Scale(ctx context.Context, launch Launcher, sizes []int, progress io.Writer) ([]ScaleResult, error) {
	if len(sizes) == 0 {
		sizes = DefaultScaleSizes
	}
	if progress == nil {
		progress = io.Discard
	}
	var out []ScaleResult
	for _, n := range sizes {
		if n < 1 {
			return out, fmt.Errorf("%w: scale size %d, want at least 1", ErrConfig, n)
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		fmt.Fprintf(progress, "bench: scale %d: launch\n", n)
		// An instance in this process is measured by the growth of its
		// resident memory: what earlier work left as garbage must not
		// count before, nor shrink after.
		debug.FreeOSMemory()
		before, err := RSS(0)
		if err != nil {
			return out, err
		}
		start := time.Now()
		inst, err := launch(ctx, n)
		if err != nil {
			return out, fmt.Errorf("launch %d: %w", n, err)
		}
		r := ScaleResult{N: n, LaunchS: time.Since(start).Seconds()}
		if inst.PID == 0 {
			r.RSSBefore = before
			debug.FreeOSMemory()
		}
		r.RSSBytes, err = RSS(inst.PID)
		fmt.Fprintf(progress, "bench: scale %d: teardown\n", n)
		start = time.Now()
		terr := inst.Teardown()
		r.TeardownS = time.Since(start).Seconds()
		if err = errors.Join(err, terr); err != nil {
			return out, fmt.Errorf("scale %d: %w", n, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// RSS returns the resident memory of process pid (0: this process) in
// bytes, read from VmRSS in /proc/PID/status.
func RSS(pid int) (int64, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/status"
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read resident memory: %w", err)
	}
	return parseVmRSS(data)
}

// parseVmRSS reads the VmRSS line ("VmRSS:   12345 kB") of a
// /proc/PID/status file.
func parseVmRSS(status []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			break
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 {
			break
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("%w: no VmRSS line in /proc status", ErrBadOutput)
}

// WriteScaleTable prints scale results as an aligned text table.
func WriteScaleTable(w io.Writer, results []ScaleResult) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "n\tlaunch s\tteardown s\trss MiB\trss per n KiB\t")
	for _, r := range results {
		perN := float64(r.RSSBytes-r.RSSBefore) / 1024 / float64(max(r.N, 1))
		fmt.Fprintf(tw, "%d\t%.3f\t%.3f\t%.1f\t%.1f\t\n", r.N, r.LaunchS, r.TeardownS, float64(r.RSSBytes)/(1<<20), perN)
	}
	return tw.Flush()
}
