package bench

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/vpcsim/vpcsim/bench/internal/netns"
)

// cleanupTimeout bounds how long tearing down one setup may take; teardown
// runs even after the run's context is cancelled.
const cleanupTimeout = 30 * time.Second

// Cleanup removes every network namespace whose name starts with prefix,
// killing the processes left inside. Use [ProcessPrefix] for this process's
// namespaces or [DefaultPrefix] for those of every bench run on the machine.
func Cleanup(ctx context.Context, prefix string) error {
	if !strings.HasPrefix(prefix, DefaultPrefix) {
		return fmt.Errorf("bench: cleanup prefix %q does not start with %q", prefix, DefaultPrefix)
	}
	names, err := netns.List(prefix)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		errs = append(errs, netns.Delete(ctx, name))
	}
	return errors.Join(errs...)
}

// teardown collects undo steps during a Setup and runs them in reverse order.
type teardown struct {
	once  sync.Once
	steps []func(ctx context.Context) error
	err   error
}

// add registers an undo step.
func (t *teardown) add(step func(ctx context.Context) error) {
	t.steps = append(t.steps, step)
}

// addNS creates the named namespace and registers its removal.
func (t *teardown) addNS(ctx context.Context, name string) error {
	if err := netns.Add(ctx, name); err != nil {
		return err
	}
	t.add(func(ctx context.Context) error { return netns.Delete(ctx, name) })
	return nil
}

// close runs the undo steps once, last first, on a fresh context so that it
// works after the caller's context was cancelled.
func (t *teardown) close() error {
	t.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), cleanupTimeout)
		defer cancel()
		var errs []error
		for i := len(t.steps) - 1; i >= 0; i-- {
			errs = append(errs, t.steps[i](ctx))
		}
		t.err = errors.Join(errs...)
	})
	return t.err
}

// fail tears down after a failed Setup and returns the Setup error joined
// with any teardown error.
func (t *teardown) fail(err error) error {
	return errors.Join(err, t.close())
}

// ipRun runs one iproute2 command, `ip ARGS...`, with its stderr in the error.
func ipRun(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// ipBatch runs each command in order, stopping at the first failure.
func ipBatch(ctx context.Context, cmds [][]string) error {
	for _, args := range cmds {
		if err := ipRun(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}
