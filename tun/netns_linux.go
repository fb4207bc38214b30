package tun

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// runDir guards the one-time preparation of netnsDir.
var runDir struct {
	mu    sync.Mutex
	ready bool
}

// prepareRunDir creates netnsDir and makes it a shared mount point, as
// iproute2 does, so that namespace mounts made here propagate to other mount
// namespaces (and unmounts too, letting namespaces be freed).
func prepareRunDir() error {
	runDir.mu.Lock()
	defer runDir.mu.Unlock()
	if runDir.ready {
		return nil
	}
	if err := os.MkdirAll(netnsDir, 0o755); err != nil {
		return err
	}
	err := unix.Mount("", netnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if err == unix.EINVAL {
		// Not a mount point yet: make it one, then share it.
		if err := unix.Mount(netnsDir, netnsDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind mount %s: %w", netnsDir, err)
		}
		err = unix.Mount("", netnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
	}
	if err != nil {
		return fmt.Errorf("make %s a shared mount: %w", netnsDir, err)
	}
	runDir.ready = true
	return nil
}

// nsPath returns the path of the mount of namespace name.
func nsPath(name string) string { return filepath.Join(netnsDir, name) }

// Delete removes the named network namespace: it detaches the mount
// /run/netns/NAME and removes the file, as `ip netns delete` does. The
// kernel frees the namespace once no process or open descriptor uses it.
// Deleting a namespace that does not exist returns an error wrapping
// fs.ErrNotExist.
func Delete(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	path := nsPath(name)
	// EINVAL means not a mount point: a leftover file of a crashed
	// creation, which is removed all the same.
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
		return fmt.Errorf("delete netns %q: unmount %s: %w", name, path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("delete netns %q: %w", name, err)
	}
	return nil
}

// List returns the names of the named network namespaces that start with
// prefix, sorted. An empty prefix lists them all.
func List(prefix string) ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list netns: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Exists reports whether the named network namespace exists, that is
// whether /run/netns/NAME does.
func Exists(name string) (bool, error) {
	if err := checkName(name); err != nil {
		return false, err
	}
	_, err := os.Stat(nsPath(name))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("netns %q: %w", name, err)
}
