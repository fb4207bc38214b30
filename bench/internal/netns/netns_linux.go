// Package netns creates, enters and removes named network namespaces: the
// files under /run/netns that iproute2 manages, so that `ip netns exec NAME`
// and this package see the same namespaces.
//
// Every function is safe for concurrent use. All need root.
package netns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Dir is where iproute2 keeps named network namespaces.
const Dir = "/run/netns"

// ErrRestore is returned (wrapped) by Do when the calling thread could not be
// switched back to its own namespace. The thread is then left locked, so the
// Go runtime retires it instead of reusing it.
var ErrRestore = errors.New("netns: cannot restore the thread's network namespace")

// Add creates the named network namespace with `ip netns add`.
func Add(ctx context.Context, name string) error {
	return ip(ctx, "netns", "add", name)
}

// Delete kills every process still inside the named namespace (they hold it
// alive after its name is gone) and removes the namespace. Deleting a
// namespace that does not exist is not an error.
func Delete(ctx context.Context, name string) error {
	if _, err := os.Stat(filepath.Join(Dir, name)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	var errs []error
	pids, err := PIDs(ctx, name)
	if err != nil {
		errs = append(errs, err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill pid %d in netns %q: %w", pid, name, err))
		}
	}
	if err := ip(ctx, "netns", "delete", name); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// PIDs lists the processes inside the named namespace.
func PIDs(ctx context.Context, name string) ([]int, error) {
	out, err := exec.CommandContext(ctx, "ip", "netns", "pids", name).Output()
	if err != nil {
		return nil, fmt.Errorf("ip netns pids %s: %w", name, err)
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("ip netns pids %s: bad pid %q", name, f)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// List returns the names of the namespaces in Dir that start with prefix.
func List(prefix string) ([]string, error) {
	entries, err := os.ReadDir(Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list network namespaces: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Do runs fn on an OS thread switched into the named namespace, then switches
// the thread back. Sockets and devices that fn opens stay in that namespace
// after Do returns; goroutines that fn starts do not run in it.
func Do(name string, fn func() error) error {
	target, err := os.Open(filepath.Join(Dir, name))
	if err != nil {
		return fmt.Errorf("open netns %q: %w", name, err)
	}
	defer target.Close()

	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open own netns: %w", err)
	}
	defer self.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter netns %q: %w", name, err)
	}
	ferr := fn()
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err != nil {
		// Stay locked: the runtime ends this thread when the goroutine exits.
		return errors.Join(ferr, fmt.Errorf("%w: leaving %q: %v", ErrRestore, name, err))
	}
	runtime.UnlockOSThread()
	return ferr
}

// ip runs an iproute2 command and folds its stderr into the error.
func ip(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "ip", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}
