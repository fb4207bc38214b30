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
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/router"
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
	// BusyPoll is how long the routers keep polling the hosts after the
	// last packet instead of sleeping (router.Config.BusyPoll); 0: off.
	BusyPoll time.Duration
}

// Daemon is a running topology. Close tears it down.
type Daemon struct {
	Topology *topology.Topology
	State    *control.State
	Network  *router.Network

	log       *slog.Logger
	hosts     []*tun.Host
	started   time.Time
	server    *http.Server
	metrics   *http.Server // nil unless Options.MetricsAddr
	metricsLn net.Listener
	serving   sync.WaitGroup
	done      chan struct{} // closed when a shutdown is requested over the API
	closing   chan struct{} // closed when Close begins: ends the captures
	shutdown  sync.Once

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
	if r, err := ReadRecord(t.Name); err == nil {
		if r.Alive() {
			return nil, fmt.Errorf("topology %q is already running (pid %d)", t.Name, r.PID)
		}
		step("removing leftovers of topology %q (pid %d is gone)", t.Name, r.PID)
		if err := Cleanup(r); err != nil {
			return nil, fmt.Errorf("remove leftovers of topology %q: %w", t.Name, err)
		}
	}

	d := &Daemon{Topology: t, log: log, started: time.Now(), done: make(chan struct{}), closing: make(chan struct{})}
	// The record lists each namespace before it is created, so that a
	// daemon killed at any moment can be cleaned up after.
	rec := Record{Name: t.Name, PID: os.Getpid(), File: t.File, Started: d.started}
	if err := writeRecord(rec); err != nil {
		return nil, fmt.Errorf("write record of topology %q: %w", t.Name, err)
	}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()

	cfg := router.Config{MTU: t.MTU, BusyPoll: opts.BusyPoll, Logger: log}
	var jobs []hostJob
	for _, v := range t.VPCs {
		rv := router.VPC{ID: v.ID, CIDR: v.CIDR}
		for _, rt := range v.RouteTables {
			rv.Tables = append(rv.Tables, rt.ID)
		}
		for _, s := range v.Subnets {
			rv.Subnets = append(rv.Subnets, router.Subnet{ID: s.ID, CIDR: s.CIDR, Table: s.RouteTable})
		}
		for i := range v.Hosts {
			jobs = append(jobs, hostJob{vpc: len(cfg.VPCs), vpcID: v.ID, host: v.Hosts[i], subnet: *v.Subnet(v.Hosts[i].Subnet)})
		}
		cfg.VPCs = append(cfg.VPCs, rv)
	}
	offload, err := d.createHosts(ctx, jobs, &rec, step)
	if err != nil {
		return nil, err
	}
	for i, j := range jobs {
		cfg.VPCs[j.vpc].Hosts = append(cfg.VPCs[j.vpc].Hosts, router.Host{Name: j.host.Name, Subnet: j.host.Subnet, IP: j.host.IP, Device: d.hosts[i].Device()})
	}
	if offload {
		cfg.MaxPacket = tun.MaxOffloadPacket
	}
	if d.Network, err = router.New(cfg); err != nil {
		return nil, fmt.Errorf("start routers: %w", err)
	}
	log.Info("data path", "mtu", cfg.MTU, "offload", offload, "busy_poll", cfg.BusyPoll)
	for _, v := range t.VPCs {
		step("router   %-12s %-18s %d subnets, %d hosts", v.ID, v.CIDR, len(v.Subnets), len(v.Hosts))
		log.Info("router started", "vpc", v.ID, "cidr", v.CIDR)
	}
	var applyErr error
	d.State, err = control.New(t, control.Options{
		Apply: func(s control.Snapshot) {
			if err := d.Network.Update(toRouter(s)); err != nil {
				applyErr = err
				log.Error("data plane update failed", "err", err)
			}
		},
		OnExpire: func(p control.Peering) {
			log.Info("peering expired", "peering", p.ID, "vpc", p.VPC, "peer_vpc", p.PeerVPC)
		},
	})
	if err == nil {
		err = applyErr
	}
	if err != nil {
		return nil, err
	}
	for _, p := range d.State.AllPeerings() {
		step("peering  %-12s %s <-> %s: %s", p.ID, p.VPC, p.PeerVPC, p.Status)
		log.Info("peering", "peering", p.ID, "vpc", p.VPC, "peer_vpc", p.PeerVPC, "status", p.Status)
	}
	for _, v := range t.VPCs {
		for _, rt := range v.RouteTables {
			for _, r := range rt.Routes {
				step("route    %-12s %-18s -> %s", rt.ID, r.Destination, r.NextHop)
				log.Info("route", "route_table", rt.ID, "destination", r.Destination, "next_hop", r.NextHop)
			}
		}
	}
	if opts.Listen {
		if err := d.serve(); err != nil {
			return nil, err
		}
		step("control  %s", api.SocketPath(t.Name))
	}
	if opts.MetricsAddr != "" {
		if err := d.serveMetrics(opts.MetricsAddr); err != nil {
			return nil, err
		}
		step("metrics  http://%s/metrics", d.MetricsAddr())
	}
	return d, nil
}

// hostJob is a host to create: its VPC (index into the router config), the
// host and its subnet.
type hostJob struct {
	vpc    int
	vpcID  string
	host   topology.Host
	subnet topology.Subnet
}

// hostParallelism bounds the hosts created or removed at once: each creation
// holds an OS thread in the new namespace, and the kernel tears interfaces
// down in the background, so a few at a time overlap the waits.
const hostParallelism = 8

// createHosts creates the namespace and TUN device of every job, a few at a
// time, and sets d.hosts in job order. Each namespace enters the record
// before it is created. Hosts hand TCP super-packets to the routers and take
// them back whole (tun.HostConfig.Offload) unless the kernel refuses, which
// the first host finds out for all: every device must agree on the headers.
func (d *Daemon) createHosts(ctx context.Context, jobs []hostJob, rec *Record, step func(string, ...any)) (offload bool, err error) {
	var mu sync.Mutex // guards rec and d.hosts
	d.hosts = make([]*tun.Host, len(jobs))
	offload = true
	create := func(i int) error {
		j := jobs[i]
		ns := d.Topology.Namespace(j.host.Name)
		addr := netip.PrefixFrom(j.host.IP, j.subnet.CIDR.Bits())
		start := time.Now()
		mu.Lock()
		rec.Namespaces = append(rec.Namespaces, ns)
		err := writeRecord(*rec)
		mu.Unlock()
		if err != nil {
			return fmt.Errorf("write record of topology %q: %w", rec.Name, err)
		}
		hc := tun.HostConfig{Namespace: ns, Addr: addr, Gateway: j.subnet.Gateway(), MTU: d.Topology.MTU, Offload: offload}
		th, err := tun.CreateHost(hc)
		if errors.Is(err, tun.ErrOffloadUnsupported) && i == 0 {
			d.log.Warn("tun offloads unavailable, forwarding packet by packet", "err", err)
			step("offload  unavailable (%v): forwarding packet by packet", err)
			offload, hc.Offload = false, false
			th, err = tun.CreateHost(hc)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			// Not ours to remove, if it existed already.
			rec.Namespaces = slices.DeleteFunc(rec.Namespaces, func(n string) bool { return n == ns })
			return errors.Join(fmt.Errorf("host %q: %w", j.host.Name, err), writeRecord(*rec))
		}
		d.hosts[i] = th
		step("host     %-12s %-18s netns %s (%v)", j.host.Name, addr, ns, time.Since(start).Round(time.Millisecond))
		d.log.Info("host created", "host", j.host.Name, "vpc", j.vpcID, "addr", addr, "netns", ns)
		return nil
	}
	if len(jobs) == 0 {
		return offload, nil
	}
	if err := create(0); err != nil {
		return offload, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(hostParallelism)
	for i := 1; i < len(jobs); i++ {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return fmt.Errorf("launch interrupted: %w", err)
			}
			return create(i)
		})
	}
	return offload, g.Wait()
}

// toRouter converts the control plane's view to the data plane's.
func toRouter(s control.Snapshot) ([]router.Peering, map[string][]router.Route) {
	peerings := make([]router.Peering, 0, len(s.Peerings))
	for id, p := range s.Peerings {
		peerings = append(peerings, router.Peering{ID: id, VPC: p.VPC, PeerVPC: p.PeerVPC})
	}
	sort.Slice(peerings, func(i, j int) bool { return peerings[i].ID < peerings[j].ID })
	tables := make(map[string][]router.Route, len(s.Tables))
	for id, routes := range s.Tables {
		rs := make([]router.Route, len(routes))
		for i, r := range routes {
			rs[i] = router.Route{Destination: r.Destination, Peering: r.Peering}
		}
		tables[id] = rs
	}
	return peerings, tables
}

// serve starts the control API on the topology's socket.
func (d *Daemon) serve() error {
	ln, err := api.Listen(api.SocketPath(d.Topology.Name))
	if err != nil {
		return fmt.Errorf("control socket: %w", err)
	}
	mux := http.NewServeMux()
	api.Register(mux, d.State)
	d.register(mux)
	d.server = &http.Server{Handler: d.logChanges(mux), ReadHeaderTimeout: 10 * time.Second}
	d.serving.Add(1)
	go func() {
		defer d.serving.Done()
		if err := d.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			d.log.Error("control API stopped", "err", err)
		}
	}()
	return nil
}

// Done is closed when a client asks the daemon to shut down.
func (d *Daemon) Done() <-chan struct{} { return d.done }

// Close stops the API and the routers and removes every namespace, the
// socket and the record. It is idempotent.
func (d *Daemon) Close() error {
	d.closeOnce.Do(func() {
		var errs []error
		close(d.closing)
		if d.server != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			d.server.Shutdown(ctx)
			cancel()
		}
		if d.metrics != nil {
			d.metrics.Close()
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
		for _, h := range d.hosts {
			if h == nil {
				continue // not created: the launch failed first
			}
			g.Go(func() error {
				if err := h.Close(); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
				return nil
			})
		}
		g.Wait()
		rec, err := ReadRecord(d.Topology.Name)
		if err == nil && rec.PID == os.Getpid() {
			if err := Cleanup(rec); err != nil {
				errs = append(errs, err)
			}
		}
		d.log.Info("topology down", "topology", d.Topology.Name)
		d.closeErr = errors.Join(errs...)
	})
	return d.closeErr
}
