package bench_test

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/vpcsim/vpcsim/bench"
)

// Run the kernel and the bare TUN loop side by side at the default MTUs,
// stopping cleanly on Ctrl-C.
func ExampleRun() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := bench.Run(ctx, bench.Config{
		Subjects: []bench.Subject{bench.Kernel{}, bench.BareTUN{}},
		Duration: 5 * time.Second,
		Progress: os.Stderr,
	})
	if rep != nil {
		_ = rep.WriteTable(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

// Remove whatever an interrupted or killed run left behind.
func ExampleCleanup() {
	if err := bench.Cleanup(context.Background(), bench.DefaultPrefix); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}

// Time launching and tearing down 10, 100 and 500 of something.
func ExampleScale() {
	launch := func(ctx context.Context, n int) (bench.Instance, error) {
		// Start n hosts here; return how to remove them and the process
		// that holds them (0: this one).
		return bench.Instance{Teardown: func() error { return nil }}, nil
	}
	results, err := bench.Scale(context.Background(), launch, nil, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	_ = bench.WriteScaleTable(os.Stdout, results)
}
