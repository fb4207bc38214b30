// Package netns creates and removes named network namespaces with iproute2:
// the files under /run/netns that it manages, so that `ip netns exec NAME`
// and this package see the same namespaces. tun.Do enters them.
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
	"strconv"
	"strings"
	"syscall"
)

// Dir is where iproute2 keeps named network namespaces.
const Dir = "/run/netns"

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
