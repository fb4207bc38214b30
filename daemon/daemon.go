package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/store"
	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun"
)

// Options configure Launch.
type Options struct {
	// Progress receives one human-readable line per launch step; nil
	// discards them.
	Progress io.Writer
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// Listen makes the daemon serve the control API on its socket.
	Listen bool
	// MetricsAddr, when not empty, is where the daemon serves Prometheus
	// metrics at /metrics: HOST:PORT, or a bare port (":9464") on the
	// loopback address. Port 0 picks a free port; see Daemon.MetricsAddr.
	MetricsAddr string
	// ConsoleAddr, when not empty, is where the daemon serves the web
	// console (package console): HOST:PORT, or a bare port on the loopback
	// address. Port 0 picks a free port; see Daemon.Console.
	ConsoleAddr string
	// BusyPoll is how long the routers keep polling the hosts after the
	// last packet instead of sleeping (router.Config.BusyPoll); 0: off.
	BusyPoll time.Duration
	// Durable keeps the control state in StatePath, saved before every
	// control call returns, and resumes a state saved there by a daemon
	// that died: same peerings, routes and ids, and the hosts' namespaces,
	// with whatever runs in them, reused. Close leaves the state for the
	// next launch; RemoveState forgets it. Without Durable the state lives
	// in memory and nothing of it outlives the daemon.
	Durable bool
	// Reset discards a saved state and starts from the file (Durable).
	Reset bool
	// KeepHistory is how many ended peerings the control plane shows
	// (control.Options.KeepHistory); 0: its default.
	KeepHistory int
}

// Daemon is a running topology. Close tears it down.
type Daemon struct {
	Topology *topology.Topology
	State    *control.State
	Network  *router.Network

	store     store.Store // where State lives; closed last
	statePath string      // its file, "" when it lives in memory
	log       *slog.Logger
	hosts     []*tun.Host
	started   time.Time
	server    *api.Server
	metrics   *http.Server // nil unless Options.MetricsAddr
	metricsLn net.Listener
	console   consoleServer
	serving   sync.WaitGroup
	done      chan struct{} // closed when a shutdown is requested over the API
	shutdown  sync.Once
	checker   checker
	expirer   expirer
	probes    chan struct{} // a slot per probe running
	// batchProbes holds a slot per probe of an explain batch running.
	batchProbes chan struct{}

	closeOnce sync.Once
	closeErr  error
}

// Launch creates everything t describes and starts forwarding. A launch that
// fails part-way removes what it created before returning the error.
func Launch(ctx context.Context, t *topology.Topology, opts Options) (_ *Daemon, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	step := func(format string, args ...any) { fmt.Fprintf(progress, format+"\n", args...) }

	// Every rule is checked before anything is created.
	if _, err := control.New(t, control.Options{}); err != nil {
		return nil, err
	}
	if err := topology.CheckLaunchable(t); err != nil {
		return nil, control.Errorf(control.CodeLimitExceeded, "%v", err)
	}
	d := newDaemon(t, log)
	resume := false
	if opts.Durable {
		// The state file's lock keeps a second daemon of t away from here on.
		if d.store, resume, err = openState(t, opts.Reset); err != nil {
			return nil, err
		}
		d.statePath = StatePath(t.Name)
	}
	defer func() {
		if err != nil {
			d.Close()
			if d.statePath != "" && !resume {
				RemoveState(t.Name) // it held nothing before this launch
			}
		}
	}()
	if err := removeLeftovers(t.Name, resume, step); err != nil {
		return nil, err
	}
	if opts.MetricsAddr != "" {
		if err := d.listenMetrics(opts.MetricsAddr); err != nil {
			return nil, err
		}
	}
	if opts.ConsoleAddr != "" {
		d.console.mu.Lock()
		err := d.listenConsoleLocked(opts.ConsoleAddr)
		d.console.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	// The record lists each namespace before it is created, so that a
	// daemon killed at any moment can be cleaned up after.
	rec := Record{Name: t.Name, PID: os.Getpid(), StartTime: selfStart(), File: t.File, Started: d.started}
	if err := writeRecord(rec); err != nil {
		return nil, fmt.Errorf("write record of topology %q: %w", t.Name, err)
	}
	devices, offload, err := d.createHosts(ctx, &rec, resume, step)
	if err != nil {
		return nil, err
	}
	if err := d.start(devices, offload, opts); err != nil {
		return nil, err
	}
	if r, ok := d.State.Restored(); ok {
		step("state    %s from %s", r, d.statePath)
		log.Info("state resumed", "file", d.statePath, "peerings", r.Peerings, "routes", r.Routes, "saved", r.Saved, "expired", r.Expired)
	} else if d.statePath != "" {
		step("state    %s", d.statePath)
	}
	d.describe(step)
	if opts.Listen {
		if err := d.serve(); err != nil {
			return nil, err
		}
		step("control  %s", api.SocketPath(t.Name))
	}
	if d.metricsLn != nil {
		d.serveMetrics()
		step("metrics  http://%s/metrics", d.MetricsAddr())
	}
	if opts.ConsoleAddr != "" {
		d.console.mu.Lock()
		err := d.serveConsoleLocked()
		info := d.console.info
		d.console.mu.Unlock()
		if err != nil {
			return nil, err
		}
		step("console  %s", info.URL)
		if info.Warning != "" {
			step("console  warning: %s", info.Warning)
		}
	}
	return d, nil
}

func newDaemon(t *topology.Topology, log *slog.Logger) *Daemon {
	return &Daemon{Topology: t, log: log, started: time.Now(), done: make(chan struct{}), probes: make(chan struct{}, MaxProbes),
		batchProbes: make(chan struct{}, MaxBatchProbes)}
}

// removeLeftovers refuses to launch over a running topology of the same
// name, and removes what a dead one left behind; but its namespaces, when
// the launch resumes its state: they are the hosts to reopen.
func removeLeftovers(name string, resume bool, step func(string, ...any)) error {
	r, err := ReadRecord(name)
	if err != nil {
		return nil
	}
	if r.Alive() {
		return control.Errorf(control.CodeAlreadyRunning, "topology %q is already running (pid %d); stop it with \"vpcsim down %s\"", name, r.PID, name)
	}
	if resume {
		step("resuming topology %q (pid %d is gone)", name, r.PID)
		r.Namespaces = nil
	} else {
		step("removing leftovers of topology %q (pid %d is gone)", name, r.PID)
	}
	if _, err := Cleanup(r); err != nil {
		return fmt.Errorf("remove leftovers of topology %q: %w", name, err)
	}
	return nil
}

// start starts the routers on the hosts' devices and the control plane
// that drives them.
func (d *Daemon) start(devices map[string]router.Device, offload bool, opts Options) error {
	t := d.Topology
	cfg := router.Config{MTU: t.MTU, BusyPoll: opts.BusyPoll, Logger: d.log}
	if offload {
		cfg.MaxPacket = tun.MaxOffloadPacket
	}
	if d.store == nil {
		d.store = store.NewMemory()
	}
	n, st, err := Wire(t, devices, cfg, control.Options{OnChange: d.logChange, Store: d.store, KeepHistory: opts.KeepHistory})
	if err != nil {
		return err
	}
	d.Network, d.State = n, st
	d.checker.start(d)
	d.expirer.start(st)
	d.log.Info("data path", "mtu", cfg.MTU, "offload", offload, "busy_poll", cfg.BusyPoll)
	return nil
}

// describe reports the routers, peerings and routes of a launch.
func (d *Daemon) describe(step func(string, ...any)) {
	t := d.Topology
	for _, v := range t.VPCs {
		step("router   %-12s %-18s %d subnets, %d hosts", v.ID, v.CIDR, len(v.Subnets), len(v.Hosts))
		d.log.Info("router started", "vpc", v.ID, "cidr", v.CIDR)
	}
	for _, p := range d.State.AllPeerings() {
		step("peering  %-12s %s <-> %s: %s", p.ID, p.VPC, p.PeerVPC, p.Status)
		d.log.Info("peering", "peering", p.ID, "vpc", p.VPC, "peer_vpc", p.PeerVPC, "status", p.Status)
	}
	for _, v := range t.VPCs {
		for _, rt := range v.RouteTables {
			for _, r := range rt.Routes {
				step("route    %-12s %-18s -> %s", rt.ID, r.Destination, r.NextHop)
				d.log.Info("route", "route_table", rt.ID, "destination", r.Destination, "next_hop", r.NextHop)
			}
		}
	}
}

// logChange logs a control change as one line: "control change" with the
// operation, the acting account and what changed; a refused one at debug
// level with its code; an expiry as "peering expired".
func (d *Daemon) logChange(c control.Change) {
	if c.Err != nil {
		d.log.Debug("control change refused", "op", c.Op, "account", c.Account, "target", c.Target, "code", c.Err.Code, "message", c.Err.Message)
		return
	}
	if c.Op == control.OpExpirePeering {
		d.log.Info("peering expired", "peering", c.Peering.ID, "vpc", c.Peering.VPC, "peer_vpc", c.Peering.PeerVPC)
		return
	}
	attrs := []any{"op", c.Op, "account", c.Account}
	if p := c.Peering; p != nil {
		attrs = append(attrs, "peering", p.ID, "vpc", p.VPC, "peer_vpc", p.PeerVPC, "status", string(p.Status))
	}
	if r := c.Route; r != nil {
		attrs = append(attrs, "route_table", r.RouteTable, "destination", r.Destination, "next_hop", r.NextHop)
	}
	d.log.Info("control change", attrs...)
	d.checker.changed()
	d.expirer.wake()
}

// hostJob is a host to create and its subnet.
type hostJob struct {
	vpc    string
	host   topology.Host
	subnet topology.Subnet
}

// hostParallelism bounds the hosts created or removed at once: each creation
// holds an OS thread in the new namespace, and the kernel tears interfaces
// down in the background, so a few at a time overlap the waits.
const hostParallelism = 8

// createHosts creates the namespace and TUN device of every host, a few at a
// time, sets d.hosts and returns the devices by host name. Each namespace
// enters the record before it is created. Hosts hand TCP super-packets to
// the routers and take them back whole (tun.HostConfig.Offload) unless the
// kernel refuses, which the first host finds out for all: every device
// must agree on the headers.
func (d *Daemon) createHosts(ctx context.Context, rec *Record, resume bool, step func(string, ...any)) (map[string]router.Device, bool, error) {
	var jobs []hostJob
	for _, v := range d.Topology.VPCs {
		for _, h := range v.Hosts {
			jobs = append(jobs, hostJob{vpc: v.ID, host: h, subnet: *v.Subnet(h.Subnet)})
		}
	}
	d.hosts = make([]*tun.Host, len(jobs))
	hc := &hostCreator{d: d, rec: rec, step: step, offload: true, resume: resume}
	if len(jobs) > 0 {
		if err := hc.create(0, jobs[0]); err != nil {
			return nil, false, err
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(hostParallelism)
	for i := 1; i < len(jobs); i++ {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return fmt.Errorf("launch interrupted: %w", err)
			}
			return hc.create(i, jobs[i])
		})
	}
	if err := g.Wait(); err != nil {
		return nil, false, err
	}
	devices := make(map[string]router.Device, len(jobs))
	for i, j := range jobs {
		devices[j.host.Name] = router.MultiQueue(d.hosts[i].Devices())
	}
	return devices, hc.offload, nil
}

// hostCreator creates the hosts of one launch.
type hostCreator struct {
	d       *Daemon
	step    func(string, ...any)
	offload bool // decided by the first host, read-only after
	resume  bool // reopen the namespaces that exist

	mu  sync.Mutex // guards rec and d.hosts
	rec *Record
}

// create creates host i of the launch.
func (hc *hostCreator) create(i int, j hostJob) error {
	d := hc.d
	ns := d.Topology.Namespace(j.host.Name)
	addr := netip.PrefixFrom(j.host.IP, j.subnet.CIDR.Bits())
	start := time.Now()
	hc.mu.Lock()
	hc.rec.Namespaces = append(hc.rec.Namespaces, ns)
	err := writeRecord(*hc.rec)
	hc.mu.Unlock()
	if err != nil {
		return fmt.Errorf("write record of topology %q: %w", hc.rec.Name, err)
	}
	cfg := tun.HostConfig{Namespace: ns, Addr: addr, Gateway: j.subnet.Gateway(), MTU: d.Topology.MTU, Offload: hc.offload, Queues: router.DefaultLanes()}
	create, how := tun.CreateHost, "netns"
	if ok, _ := tun.Exists(ns); ok && hc.resume {
		create, how = tun.ReopenHost, "netns (reused)"
	}
	th, err := create(cfg)
	if errors.Is(err, tun.ErrOffloadUnsupported) && i == 0 {
		d.log.Warn("tun offloads unavailable, forwarding packet by packet", "err", err)
		hc.step("offload  unavailable (%v): forwarding packet by packet", err)
		hc.offload, cfg.Offload = false, false
		th, err = create(cfg)
	}
	hc.mu.Lock()
	defer hc.mu.Unlock()
	if err != nil {
		// Not ours to remove, if it existed already.
		hc.rec.Namespaces = slices.DeleteFunc(hc.rec.Namespaces, func(n string) bool { return n == ns })
		return errors.Join(fmt.Errorf("host %q: %w", j.host.Name, err), writeRecord(*hc.rec))
	}
	d.hosts[i] = th
	hc.step("host     %-12s %-18s %s %s (%v)", j.host.Name, addr, how, ns, time.Since(start).Round(time.Millisecond))
	d.log.Info("host created", "host", j.host.Name, "vpc", j.vpc, "addr", addr, "netns", ns)
	return nil
}

// serve starts the control API on the topology's socket.
func (d *Daemon) serve() error {
	ln, err := api.Listen(api.SocketPath(d.Topology.Name))
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	d.server = api.NewServer(d.State, d, d.log)
	d.serving.Add(1)
	go func() {
		defer d.serving.Done()
		if err := d.server.Serve(ln); err != nil {
			d.log.Error("control API stopped", "err", err)
		}
	}()
	return nil
}

// Close stops the API and the routers and removes every namespace, the
// socket and the record. It is idempotent.
func (d *Daemon) Close() error {
	d.closeOnce.Do(func() {
		var errs []error
		if d.server != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			d.server.Close(ctx)
			cancel()
		}
		d.closeConsole()
		d.checker.stop()
		d.expirer.stop()
		if d.metrics != nil {
			d.metrics.Close()
		} else if d.metricsLn != nil {
			d.metricsLn.Close()
		}
		d.serving.Wait()
		if d.Network != nil {
			if err := d.Network.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		// Hosts close a few at a time: the kernel takes a while to
		// unregister each interface, and the waits overlap.
		var g errgroup.Group
		g.SetLimit(hostParallelism)
		var mu sync.Mutex
		var ended atomic.Int64
		for _, h := range d.hosts {
			if h == nil {
				continue // not created: the launch failed first
			}
			g.Go(func() error {
				// What runs in the host would keep its namespace alive,
				// nameless, after the topology is gone.
				n, _ := tun.EndProcesses(h.Namespace(), EndGrace)
				ended.Add(int64(n))
				if err := h.Close(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				return nil
			})
		}
		g.Wait()
		if n := ended.Load(); n > 0 {
			d.log.Info("ended the processes still running in the hosts", "processes", n)
		}
		rec, err := ReadRecord(d.Topology.Name)
		if err == nil && rec.PID == os.Getpid() {
			if _, err := Cleanup(rec); err != nil {
				errs = append(errs, err)
			}
		}
		if d.store != nil {
			// Last: the state file's lock kept other daemons of the
			// topology away until everything above was gone.
			if err := d.store.Close(); err != nil {
				errs = append(errs, err)
			}
		}
		d.log.Info("topology down", "topology", d.Topology.Name)
		d.closeErr = errors.Join(errs...)
	})
	return d.closeErr
}
