//go:build !linux

package daemon

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

// sendProbe needs Linux network namespaces.
func sendProbe(ctx context.Context, ns, proto string, dst netip.AddrPort, timeout time.Duration, echo bool) (probeOutcome, error) {
	return probeOutcome{}, errors.New("probes need Linux network namespaces")
}
