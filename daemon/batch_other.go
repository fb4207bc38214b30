//go:build !linux

package daemon

import (
	"errors"
	"net/netip"

	"github.com/vpcsim/vpcsim/explain"
)

// receiver needs Linux network namespaces.
type receiver struct{}

func listen(ns string, proto explain.Protocol, addr netip.AddrPort) (*receiver, error) {
	return nil, errors.New("receivers need Linux network namespaces")
}

func (r *receiver) Close() {}
