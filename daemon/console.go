package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/api/console"
	"github.com/vpcsim/vpcsim/control"
)

// defaultConsoleAddr is where the console listens when no address is
// given: a free port of the loopback address.
const defaultConsoleAddr = "127.0.0.1:0"

// consoleServer is a daemon's web console: listened for at launch
// (Options.ConsoleAddr) or when a client asks (ServeConsole), served on
// the daemon's API handler.
type consoleServer struct {
	mu     sync.Mutex
	ln     net.Listener // nil until listened on
	info   api.Console
	c      *console.Console // nil until served
	srv    *console.Server
	closed bool
}

// listenConsoleLocked listens on addr for the console (a bare port: on
// the loopback address). d.console.mu must be held.
func (d *Daemon) listenConsoleLocked(addr string) error {
	if addr == "" {
		addr = defaultConsoleAddr
	}
	addr, err := listenAddress("console", addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return control.Errorf(control.CodeAddressInUse, "console: %s is already in use; choose another address", addr)
	}
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	d.console.ln, d.console.info = ln, consoleInfo(ln.Addr().(*net.TCPAddr))
	return nil
}

// consoleInfo describes a console listening on a: its URL, and a warning
// when it can be reached from beyond the machine.
func consoleInfo(a *net.TCPAddr) api.Console {
	info := api.Console{Addr: a.String()}
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1" // every address of the machine; this one works here
	}
	info.URL = "http://" + net.JoinHostPort(host, strconv.Itoa(a.Port)) + "/"
	if !a.IP.IsLoopback() {
		info.Warning = fmt.Sprintf("the console listens on %s, beyond the loopback interface: whoever reaches it may act as any account of the topology, with no login", a)
	}
	return info
}

// serveConsoleLocked serves the console on the listener of
// listenConsoleLocked. d.console.mu must be held.
func (d *Daemon) serveConsoleLocked() error {
	cs := &d.console
	loopback := cs.ln.Addr().(*net.TCPAddr).IP.IsLoopback()
	c, err := console.New(api.Handler(d.State, d, d.log), d.Topology, console.Options{Logger: d.log, LoopbackOnly: loopback})
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	cs.c, cs.srv = c, console.NewServer(c)
	srv, ln := cs.srv, cs.ln
	d.serving.Add(1)
	go func() {
		defer d.serving.Done()
		if err := srv.Serve(ln); err != nil {
			d.log.Error("console stopped", "err", err)
		}
	}()
	d.log.Info("console", "url", cs.info.URL, "addr", cs.info.Addr)
	if cs.info.Warning != "" {
		d.log.Warn("console beyond loopback", "addr", cs.info.Addr, "warning", cs.info.Warning)
	}
	return nil
}

// ServeConsole serves the web console on req.Addr and returns where; when
// it serves already, it returns where it does, unless another address is
// asked for (InvalidState: one console per topology). Only the topology's
// operator (see Shutdown) may: the console acts as any account.
func (d *Daemon) ServeConsole(acct string, req api.ConsoleRequest) (api.Console, error) {
	if err := d.operator(acct, "open the console of"); err != nil {
		return api.Console{}, err
	}
	cs := &d.console
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		return api.Console{}, control.Errorf(control.CodeTopologyNotRunning, "topology %q is shutting down", d.Topology.Name)
	}
	if cs.srv != nil {
		if want, err := listenAddress("console", req.Addr); req.Addr == "" || err == nil && want == cs.info.Addr {
			return cs.info, nil
		}
		return api.Console{}, control.Errorf(control.CodeInvalidState, "the console already serves at %s; a topology has one console", cs.info.URL)
	}
	if err := d.listenConsoleLocked(req.Addr); err != nil {
		return api.Console{}, err
	}
	if err := d.serveConsoleLocked(); err != nil {
		cs.ln.Close()
		cs.ln = nil
		return api.Console{}, err
	}
	return cs.info, nil
}

// Console returns where the console serves, and false when it does not.
func (d *Daemon) Console() (api.Console, bool) {
	d.console.mu.Lock()
	defer d.console.mu.Unlock()
	return d.console.info, d.console.srv != nil
}

// closeConsole stops the console: its event streams end, then its
// requests, for at most two seconds.
func (d *Daemon) closeConsole() {
	cs := &d.console
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.closed = true
	switch {
	case cs.srv != nil:
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		cs.srv.Close(ctx)
		cancel()
		cs.c.Close()
	case cs.ln != nil:
		cs.ln.Close()
	}
}
