package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strconv"
	"sync"

	"github.com/songgao/water"

	"github.com/vpcsim/vpcsim/tun"
)

// BareTUN is the floor under any userspace forwarder: per pair, two
// namespaces, each with a TUN interface eth0 (client 10.202.0.1/24, server
// 10.202.0.2/24), and one goroutine per direction that reads one packet
// from one TUN and writes it to the other. No parsing, no routing, no batching: one read and
// one write per packet. The zero value is ready to use.
type BareTUN struct{}

var _ Subject = BareTUN{}

// Name returns "bare-tun".
func (BareTUN) Name() string { return "bare-tun" }

// BareTUN addresses: both ends of one /24, so each side's connected route
// sends the other's traffic into its TUN.
var (
	bareClientIP = netip.MustParseAddr("10.202.0.1")
	bareServerIP = netip.MustParseAddr("10.202.0.2")
)

// Setup creates, for each pair, the namespaces and TUN devices at mtu and
// starts the copy loops; Close stops the loops, closes the devices and
// removes the namespaces.
func (b BareTUN) Setup(ctx context.Context, mtu, pairs int) (*Setup, error) {
	if err := checkMTU(mtu); err != nil {
		return nil, err
	}
	td := &teardown{}
	s := &Setup{Close: td.close}
	for range pairs {
		ep, err := b.setupPair(ctx, td, mtu)
		if err != nil {
			return nil, td.fail(err)
		}
		s.Pairs = append(s.Pairs, ep)
	}
	return s, nil
}

// setupPair builds one client and server joined by a copy loop,
// registering their removal with td.
func (BareTUN) setupPair(ctx context.Context, td *teardown, mtu int) (Endpoints, error) {
	p := NamePrefix() + "t-"
	client, server := p+"client", p+"server"
	var tuns []*water.Interface
	for _, ns := range []string{client, server} {
		if err := td.addNS(ctx, ns); err != nil {
			return Endpoints{}, err
		}
		dev, err := openTUN(ns, "eth0")
		if err != nil {
			return Endpoints{}, err
		}
		td.add(func(context.Context) error { return ignoreClosed(dev.Close()) })
		tuns = append(tuns, dev)
	}
	m := strconv.Itoa(mtu)
	err := ipBatch(ctx, [][]string{
		{"-n", client, "link", "set", "lo", "up"},
		{"-n", server, "link", "set", "lo", "up"},
		{"-n", client, "link", "set", "eth0", "mtu", m, "up"},
		{"-n", server, "link", "set", "eth0", "mtu", m, "up"},
		{"-n", client, "addr", "add", bareClientIP.String() + "/24", "dev", "eth0"},
		{"-n", server, "addr", "add", bareServerIP.String() + "/24", "dev", "eth0"},
	})
	if err != nil {
		return Endpoints{}, err
	}
	f := startCopyLoop(tuns[0], tuns[1], mtu)
	// Registered after the devices, so it runs before: closing the
	// devices ends the loops.
	td.add(func(context.Context) error { return f.close() })
	return Endpoints{ClientNS: client, ServerNS: server, ServerIP: bareServerIP}, nil
}

// openTUN creates the TUN device name inside namespace ns. The device lives
// as long as the returned file is open.
func openTUN(ns, name string) (*water.Interface, error) {
	var dev *water.Interface
	err := tun.Do(ns, func() error {
		var err error
		dev, err = water.New(water.Config{
			DeviceType:             water.TUN,
			PlatformSpecificParams: water.PlatformSpecificParams{Name: name},
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create tun %q in netns %q: %w", name, ns, err)
	}
	return dev, nil
}

// copyLoop forwards packets both ways between two TUN devices.
type copyLoop struct {
	a, b io.ReadWriteCloser
	wg   sync.WaitGroup
	once sync.Once
}

// startCopyLoop starts one goroutine per direction; close stops them.
func startCopyLoop(a, b io.ReadWriteCloser, mtu int) *copyLoop {
	f := &copyLoop{a: a, b: b}
	f.wg.Add(2)
	go f.run(a, b, mtu)
	go f.run(b, a, mtu)
	return f
}

// run copies packets from src to dst until src fails (it is closed).
// One buffer, allocated once; one Read and one Write per packet; a failed
// Write drops the packet, as a full queue would. Nothing is counted, so the
// loop shares no memory between directions.
func (f *copyLoop) run(src, dst io.ReadWriteCloser, mtu int) {
	defer f.wg.Done()
	buf := make([]byte, mtu+64)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		_, _ = dst.Write(buf[:n])
	}
}

// close closes both devices and waits for the goroutines.
func (f *copyLoop) close() error {
	var err error
	f.once.Do(func() {
		err = errors.Join(ignoreClosed(f.a.Close()), ignoreClosed(f.b.Close()))
		f.wg.Wait()
	})
	return err
}

// ignoreClosed treats closing an already closed file as success.
func ignoreClosed(err error) error {
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}
