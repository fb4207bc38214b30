//go:build !linux

package tun

import (
	"errors"
	"fmt"
	"time"
)

// CreateHost needs Linux network namespaces; elsewhere it returns an error
// wrapping errors.ErrUnsupported.
func CreateHost(cfg HostConfig) (*Host, error) {
	if _, err := cfg.normalize(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("create netns %q: %w", cfg.Namespace, errors.ErrUnsupported)
}

// ReopenHost needs Linux network namespaces; elsewhere it returns an error
// wrapping errors.ErrUnsupported.
func ReopenHost(cfg HostConfig) (*Host, error) {
	if _, err := cfg.normalize(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("reopen netns %q: %w", cfg.Namespace, errors.ErrUnsupported)
}

// Do returns an error wrapping errors.ErrUnsupported off Linux.
func Do(name string, fn func() error) error {
	return fmt.Errorf("enter netns %q: %w", name, errors.ErrUnsupported)
}

// Delete returns an error wrapping errors.ErrUnsupported off Linux.
func Delete(name string) error {
	return fmt.Errorf("delete netns %q: %w", name, errors.ErrUnsupported)
}

// List returns an error wrapping errors.ErrUnsupported off Linux.
func List(prefix string) ([]string, error) {
	return nil, fmt.Errorf("list netns: %w", errors.ErrUnsupported)
}

// Exists returns an error wrapping errors.ErrUnsupported off Linux.
func Exists(name string) (bool, error) {
	return false, fmt.Errorf("netns %q: %w", name, errors.ErrUnsupported)
}

// Read returns an error wrapping errors.ErrUnsupported off Linux.
func (d *Device) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	return 0, d.opError("read", errors.ErrUnsupported)
}

// Write returns an error wrapping errors.ErrUnsupported off Linux.
func (d *Device) Write(bufs [][]byte, offset int) (int, error) {
	return 0, d.opError("write", errors.ErrUnsupported)
}

// Close does nothing off Linux, where no device is ever created.
func (d *Device) Close() error { return nil }

// Processes returns an error wrapping errors.ErrUnsupported off Linux.
func Processes(name string) ([]int, error) {
	return nil, fmt.Errorf("netns %q: %w", name, errors.ErrUnsupported)
}

// EndProcesses returns an error wrapping errors.ErrUnsupported off Linux.
func EndProcesses(name string, grace time.Duration) (int, error) {
	return 0, fmt.Errorf("netns %q: %w", name, errors.ErrUnsupported)
}
