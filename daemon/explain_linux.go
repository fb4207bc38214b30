package daemon

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vpcsim/vpcsim/tun"
)

// sendProbe sends one TCP connection attempt or one UDP datagram to dst from
// inside the network namespace ns and waits up to timeout for an answer.
// A TCP reset and an ICMP port unreachable are answers: they came back from
// the destination host, so both paths carried packets. With echo, a
// receiver listens on dst and echoes: a TCP connection carries a message
// there and back too.
func sendProbe(ctx context.Context, ns, proto string, dst netip.AddrPort, timeout time.Duration, echo bool) (probeOutcome, error) {
	var out probeOutcome
	var perr error
	if err := tun.Do(ns, func() error {
		out, perr = probeIn(ctx, proto, dst, timeout, echo)
		return nil
	}); err != nil {
		return probeOutcome{}, fmt.Errorf("probe from %s: %w", ns, err)
	}
	return out, perr
}

// probeIn sends the probe from the current thread's namespace. The socket is
// created on this thread, so it belongs to the namespace.
func probeIn(ctx context.Context, proto string, dst netip.AddrPort, timeout time.Duration, echo bool) (probeOutcome, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, proto, dst.String())
	switch {
	case err == nil:
	case errors.Is(err, unix.ECONNREFUSED):
		return probeOutcome{true, fmt.Sprintf("connection refused: a reset came back from %v (nothing listens on port %d)", dst.Addr(), dst.Port())}, nil
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return probeOutcome{false, fmt.Sprintf("no answer within %v", timeout)}, nil
	default:
		return probeOutcome{false, fmt.Sprintf("connect failed: %v", err)}, nil
	}
	defer conn.Close()
	if proto == "tcp" && !echo {
		return probeOutcome{true, fmt.Sprintf("connected to %v", dst)}, nil
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	if _, err := conn.Write(probeMessage); err != nil {
		return probeOutcome{}, fmt.Errorf("probe: send to %v: %w", dst, err)
	}
	want := 1 // a datagram
	if proto == "tcp" {
		want = len(probeMessage) // the echo may come in pieces
	}
	buf := make([]byte, 512)
	n, err := io.ReadAtLeast(conn, buf, want)
	switch {
	case err == nil && echo && !bytes.Equal(buf[:n], probeMessage):
		return probeOutcome{true, fmt.Sprintf("a reply came back from %v, but not the message sent: %d bytes %q", dst, n, buf[:min(n, 32)])}, nil
	case err == nil && echo:
		return probeOutcome{true, fmt.Sprintf("the message came back from %v", dst)}, nil
	case err == nil:
		return probeOutcome{true, fmt.Sprintf("a reply came back from %v", dst)}, nil
	case errors.Is(err, unix.ECONNREFUSED):
		return probeOutcome{true, fmt.Sprintf("port unreachable came back from %v (nothing listens on port %d)", dst.Addr(), dst.Port())}, nil
	case proto == "tcp" && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)):
		return probeOutcome{true, fmt.Sprintf("connected to %v, which closed the connection without echoing", dst)}, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return probeOutcome{false, fmt.Sprintf("no answer within %v", timeout)}, nil
	}
	return probeOutcome{false, fmt.Sprintf("receive failed: %v", err)}, nil
}
