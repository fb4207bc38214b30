package tun

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Do runs fn on an OS thread switched into the named network namespace and
// switches the thread back before it returns fn's error. Sockets and
// devices that fn opens stay in the namespace; goroutines that fn starts do
// not run in it.
//
// fn runs on a goroutine of its own, locked to its thread, so it must not
// call t.FailNow or runtime.Goexit. If the thread cannot be switched back,
// the error wraps ErrRestore and the thread is never used again. A
// namespace that does not exist gives an error wrapping fs.ErrNotExist.
func Do(name string, fn func() error) error {
	if err := checkName(name); err != nil {
		return err
	}
	path := nsPath(name)
	target, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("enter netns %q: %w", name, &os.PathError{Op: "open", Path: path, Err: err})
	}
	defer unix.Close(target)
	return onNetnsThread(name, func() error {
		if err := unix.Setns(target, unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("enter netns %q: %w", name, err)
		}
		return nil
	}, fn)
}

// onNetnsThread runs enter and then, if enter succeeded, fn, on a new
// goroutine locked to its OS thread; enter moves the thread into the
// network namespace name, and may have moved it even when it fails. Then
// the thread is switched back to the namespace it started in. If that
// fails, or fn does not return, the thread stays locked and the Go runtime
// retires it when the goroutine ends (it ends the thread, or parks it for
// good if it is the main thread), so no other goroutine ever runs in a
// namespace it did not ask for.
func onNetnsThread(name string, enter, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		err := fmt.Errorf("in netns %q: the function did not return", name) // it called runtime.Goexit
		defer func() { done <- err }()
		runtime.LockOSThread()
		home, oerr := unix.Open("/proc/thread-self/ns/net", unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if oerr != nil {
			runtime.UnlockOSThread()
			err = fmt.Errorf("enter netns %q: open the thread's own netns: %w", name, oerr)
			return
		}
		defer unix.Close(home)
		ferr := enter()
		if ferr == nil {
			ferr = fn()
		}
		if serr := unix.Setns(home, unix.CLONE_NEWNET); serr != nil {
			err = errors.Join(ferr, fmt.Errorf("leave netns %q: %w: %w", name, ErrRestore, serr))
			return
		}
		runtime.UnlockOSThread()
		err = ferr
	}()
	return <-done
}

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
