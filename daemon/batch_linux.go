package daemon

import (
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/tun"
)

// receiver answers probes on one port of a host until closed: it echoes
// what a TCP connection sends, or each UDP datagram.
type receiver struct {
	ln net.Listener   // TCP
	pc net.PacketConn // UDP
	wg sync.WaitGroup
}

// echoTimeout bounds a TCP connection to a receiver.
const echoTimeout = 2 * time.Second

// listen starts a receiver of proto on addr in the network namespace ns.
// The socket is made inside the namespace and used from anywhere.
func listen(ns string, proto explain.Protocol, addr netip.AddrPort) (*receiver, error) {
	r := &receiver{}
	err := tun.Do(ns, func() error {
		var err error
		if proto == explain.TCP {
			r.ln, err = net.Listen("tcp4", addr.String())
		} else {
			r.pc, err = net.ListenPacket("udp4", addr.String())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

func (r *receiver) serve() {
	defer r.wg.Done()
	buf := make([]byte, 512)
	if r.pc != nil {
		for {
			n, from, err := r.pc.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			r.pc.WriteTo(buf[:n], from)
		}
	}
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return // closed
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer c.Close()
			c.SetDeadline(time.Now().Add(echoTimeout))
			b := make([]byte, 512)
			n, _ := io.ReadAtLeast(c, b, len(probeMessage))
			c.Write(b[:n])
		}()
	}
}

// Close stops the receiver and waits for the connections it serves.
func (r *receiver) Close() {
	if r.ln != nil {
		r.ln.Close()
	} else {
		r.pc.Close()
	}
	r.wg.Wait()
}
