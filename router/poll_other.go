//go:build !linux

package router

import (
	"errors"
	"time"
)

// poller exists on Linux only; elsewhere every host has a goroutine.
type poller struct{}

const canPoll = false

func startPoller(*Network, []*port, time.Duration) (*poller, error) {
	return nil, errors.ErrUnsupported
}

func (*poller) stop() error { return nil }
