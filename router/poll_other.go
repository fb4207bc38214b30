//go:build !linux

package router

import (
	"errors"
	"time"
)

// poller exists on Linux only; elsewhere every host queue has a goroutine.
type poller struct{ w *worker }

const canPoll = false

func startPoller(*Network, int, []*queue, time.Duration) (*poller, error) {
	return nil, errors.ErrUnsupported
}

func (*poller) stop() error { return nil }
