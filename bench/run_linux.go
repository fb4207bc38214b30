package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrMissingTool is returned (wrapped) by Run when ip, iperf3 or ping is
// not installed.
var ErrMissingTool = errors.New("bench: missing tool (install iproute2, iperf3, iputils-ping)")

// iperfPort is the iperf3 port inside the server namespace; each namespace
// has its own ports, so it never collides with anything outside.
const iperfPort = 5201

// Run sets up every subject at every MTU (MTU by MTU, the subjects side by
// side) with Config.Pairs client/server pairs, measures them, and tears
// each setup down before the next. On the first pair alone it measures one
// and four TCP streams, small-datagram UDP and ping RTT; then, with more
// than one pair, one stream in every pair at once, and the first pair's
// stream and ping while the other pairs carry bulk traffic. A failed setup
// or measurement is recorded in its Result and the run goes on. When ctx
// is cancelled (say, on SIGINT) Run tears down what it set up and returns
// the partial report with ctx's error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	for _, tool := range []string{"ip", "iperf3", "ping"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMissingTool, tool, err)
		}
	}
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	rep := &Report{
		Started:   time.Now().UTC(),
		DurationS: float64(seconds(cfg.Duration)),
		CPUs:      runtime.NumCPU(),
		Pairs:     cfg.Pairs,
	}
	defer func() {
		rep.Ratios = computeRatios(rep.Results, cfg.Baselines)
		rep.Targets = checkTargets(rep.Results)
	}()
	for _, mtu := range cfg.MTUs {
		for _, s := range cfg.Subjects {
			if err := ctx.Err(); err != nil {
				return rep, err
			}
			rep.Results = append(rep.Results, measure(ctx, cfg, progress, s, mtu))
		}
	}
	return rep, ctx.Err()
}

// measure sets s up at mtu, runs every measurement and tears it down.
func measure(ctx context.Context, cfg Config, progress io.Writer, s Subject, mtu int) (res Result) {
	res = Result{Subject: s.Name(), MTU: mtu}
	m := &measurer{ctx: ctx, cfg: cfg, res: &res}
	m.step = func(what string) { fmt.Fprintf(progress, "bench: %s mtu %d: %s\n", s.Name(), mtu, what) }

	m.step(fmt.Sprintf("setup, %d pairs", cfg.Pairs))
	setup, err := s.Setup(ctx, mtu, cfg.Pairs)
	if err == nil && len(setup.Pairs) != cfg.Pairs {
		err = errors.Join(fmt.Errorf("set up %d pairs, want %d", len(setup.Pairs), cfg.Pairs), setup.Close())
	}
	if err != nil {
		m.fail("setup", err)
		return res
	}
	defer func() {
		m.step("teardown")
		if err := setup.Close(); err != nil {
			m.fail("teardown", err)
		}
	}()
	m.onePair(&setup.Pairs[0])
	if len(setup.Pairs) > 1 {
		m.allPairs(setup.Pairs)
		m.quietPair(setup.Pairs)
	}
	return res
}

// measurer runs the measurements of one subject at one MTU into res.
type measurer struct {
	ctx  context.Context
	cfg  Config
	res  *Result
	step func(what string)
}

// fail records a failed measurement.
func (m *measurer) fail(what string, err error) {
	m.res.Errors = append(m.res.Errors, what+": "+err.Error())
	m.step(what + " failed: " + err.Error())
}

// onePair measures one and four TCP streams, UDP and ping RTT on ep.
func (m *measurer) onePair(ep *Endpoints) {
	res, d := m.res, m.cfg.Duration
	m.step(fmt.Sprintf("tcp, %ds", seconds(d)))
	if tcp, err := RunTCP(m.ctx, ep, d); err != nil {
		m.fail("tcp", err)
	} else {
		res.TCPGbps, res.TCPRetransmits = tcp.BitsPerSecond/1e9, tcp.Retransmits
	}
	if m.ctx.Err() != nil {
		return
	}
	m.step(fmt.Sprintf("tcp, 4 streams, %ds", seconds(d)))
	if tcp, err := runTCPStreams(m.ctx, ep, d, 4); err != nil {
		m.fail("tcp 4 streams", err)
	} else {
		res.TCP4Gbps, res.TCP4Retransmits = tcp.BitsPerSecond/1e9, tcp.Retransmits
	}
	if m.ctx.Err() != nil {
		return
	}
	m.step(fmt.Sprintf("udp, %d-byte datagrams, %ds", m.cfg.UDPLength, seconds(d)))
	if udp, err := runUDP(m.ctx, ep, d, m.cfg.UDPLength); err != nil {
		m.fail("udp", err)
	} else {
		res.UDPPPS, res.UDPSentPPS, res.UDPLossPercent = udp.PPS, udp.SentPPS, udp.LossPercent
	}
	if m.ctx.Err() != nil {
		return
	}
	m.step(fmt.Sprintf("ping, %d every %v", m.cfg.Pings, m.cfg.PingInterval))
	if p, err := runPing(m.ctx, ep, m.cfg.Pings, m.cfg.PingInterval); err != nil {
		m.fail("ping", err)
	} else {
		res.RTTMedianMicros = micros(Percentile(p.RTTs, 50))
		res.RTTP99Micros = micros(Percentile(p.RTTs, 99))
		res.PingLossPercent = p.LossPercent()
	}
}

// allPairs runs one TCP stream in every pair at once.
func (m *measurer) allPairs(pairs []Endpoints) {
	if m.ctx.Err() != nil {
		return
	}
	m.step(fmt.Sprintf("tcp, a stream in each of %d pairs at once, %ds", len(pairs), seconds(m.cfg.Duration)))
	stats, err := concurrently(pairs, func(ep *Endpoints) (TCPStats, error) { return RunTCP(m.ctx, ep, m.cfg.Duration) })
	if err != nil {
		m.fail("tcp pairs", err)
		return
	}
	for i, st := range stats {
		gbps := st.BitsPerSecond / 1e9
		m.res.PairsGbps += gbps
		m.res.PairsRetransmits += st.Retransmits
		if i == 0 || gbps < m.res.PairsMinGbps {
			m.res.PairsMinGbps = gbps
		}
	}
}

// quietPair measures the first pair's TCP stream, then its ping RTT, while
// every other pair carries a TCP stream for the whole time.
func (m *measurer) quietPair(pairs []Endpoints) {
	if m.ctx.Err() != nil {
		return
	}
	d, pings := m.cfg.Duration, time.Duration(m.cfg.Pings)*m.cfg.PingInterval
	// Long enough for the quiet stream and ping, started a second late,
	// with the seconds each iperf3 and ping take to start.
	bulkFor := time.Duration(seconds(d))*time.Second + pings + 5*time.Second
	m.step(fmt.Sprintf("quiet pair: tcp %ds, then ping, while %d pairs carry bulk", seconds(d), len(pairs)-1))
	ctx, cancel := context.WithCancel(m.ctx)
	defer cancel()
	bulk := make(chan error, 1)
	go func() {
		_, err := concurrently(pairs[1:], func(ep *Endpoints) (TCPStats, error) { return RunTCP(ctx, ep, bulkFor) })
		bulk <- err
	}()
	select {
	case <-time.After(time.Second): // the bulk streams are up
	case err := <-bulk:
		m.fail("quiet pair: bulk", err)
		return
	}
	if tcp, err := RunTCP(ctx, &pairs[0], d); err != nil {
		m.fail("quiet pair: tcp", err)
	} else {
		m.res.QuietGbps, m.res.QuietRetransmits = tcp.BitsPerSecond/1e9, tcp.Retransmits
	}
	if p, err := runPing(ctx, &pairs[0], m.cfg.Pings, m.cfg.PingInterval); err != nil {
		m.fail("quiet pair: ping", err)
	} else {
		m.res.QuietRTTMedianMicros = micros(Percentile(p.RTTs, 50))
	}
	select {
	case err := <-bulk:
		if err != nil {
			m.fail("quiet pair: bulk", err)
		}
	case <-m.ctx.Done():
	}
}

// concurrently runs fn on every pair at once and returns their results in
// order, or the first error.
func concurrently(pairs []Endpoints, fn func(*Endpoints) (TCPStats, error)) ([]TCPStats, error) {
	stats := make([]TCPStats, len(pairs))
	errs := make([]error, len(pairs))
	var wg sync.WaitGroup
	for i := range pairs {
		wg.Go(func() { stats[i], errs[i] = fn(&pairs[i]) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("pair %d: %w", i+1, err)
		}
	}
	return stats, nil
}

// micros returns d in microseconds.
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// RunTCP runs one single-stream TCP iperf3 test.
func RunTCP(ctx context.Context, ep *Endpoints, d time.Duration) (TCPStats, error) {
	return runTCPStreams(ctx, ep, d, 1)
}

// runTCPStreams runs one TCP iperf3 test of the given parallel streams;
// the figures are their sums.
func runTCPStreams(ctx context.Context, ep *Endpoints, d time.Duration, streams int) (TCPStats, error) {
	client, server, err := iperf(ctx, ep, d, "-t", strconv.Itoa(seconds(d)), "-P", strconv.Itoa(streams))
	if err != nil {
		return TCPStats{}, err
	}
	return parseTCP(client, server)
}

// runUDP runs one UDP iperf3 test with datagrams of length bytes sent as
// fast as the client can (-b 0).
func runUDP(ctx context.Context, ep *Endpoints, d time.Duration, length int) (udpStats, error) {
	client, server, err := iperf(ctx, ep, d, "-u", "-b", "0", "-l", strconv.Itoa(length), "-t", strconv.Itoa(seconds(d)))
	if err != nil {
		return udpStats{}, err
	}
	return parseUDP(client, server)
}

// iperf runs a one-shot iperf3 server in the server namespace and an iperf3
// client with args in the client namespace, both with -J, and returns both
// outputs. The server is killed if it outlives the client by long.
func iperf(ctx context.Context, ep *Endpoints, d time.Duration, args ...string) (client, server []byte, err error) {
	limit := d + 30*time.Second
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	port := strconv.Itoa(iperfPort)

	srv := nsCommand(ctx, ep.ServerNS, "iperf3", "-s", "-1", "-J", "-p", port)
	var sout, serr bytes.Buffer
	srv.Stdout, srv.Stderr = &sout, &serr
	if err := srv.Start(); err != nil {
		return nil, nil, fmt.Errorf("start iperf3 server: %w", err)
	}
	var srvErr error
	exited := make(chan struct{}) // closed once the server is reaped
	go func() { srvErr = srv.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			_ = srv.Process.Kill()
			<-exited
		}
	}()
	if err := waitListen(ctx, srv.Process.Pid, iperfPort, exited); err != nil {
		if errors.Is(err, errExited) {
			err = fmt.Errorf("%w: %v", err, srvErr)
		}
		return nil, nil, fmt.Errorf("iperf3 server: %w: %s", err, bytes.TrimSpace(serr.Bytes()))
	}

	cargs := append([]string{"-c", ep.ServerIP.String(), "-p", port, "-J"}, args...)
	cli := nsCommand(ctx, ep.ClientNS, "iperf3", cargs...)
	var cerr bytes.Buffer
	cli.Stderr = &cerr
	client, err = cli.Output()
	if ctx.Err() != nil {
		return nil, nil, fmt.Errorf("iperf3 client: %w", ctx.Err())
	}
	if err != nil && len(client) == 0 {
		return nil, nil, fmt.Errorf("iperf3 client: %w: %s", err, bytes.TrimSpace(cerr.Bytes()))
	}
	if _, perr := parseIperf("client", client); perr != nil {
		return nil, nil, perr
	}

	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		return nil, nil, fmt.Errorf("iperf3 server still running 10s after the client ended")
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	return client, sout.Bytes(), nil
}

// errExited is returned by waitListen when the server exits first.
var errExited = errors.New("exited before listening")

// waitListen waits until process pid, started as `ip netns exec NS iperf3`,
// has become iperf3 (so it is inside NS) and listens on port. It gives up
// when ctx ends, after 10 seconds, or when exited is closed.
func waitListen(ctx context.Context, pid, port int, exited <-chan struct{}) error {
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	proc := "/proc/" + strconv.Itoa(pid)
	for {
		if comm, err := os.ReadFile(proc + "/comm"); err == nil && strings.TrimSpace(string(comm)) == "iperf3" {
			for _, table := range []string{"/net/tcp6", "/net/tcp"} {
				if data, err := os.ReadFile(proc + table); err == nil && listening(data, port) {
					return nil
				}
			}
		}
		select {
		case <-exited:
			return errExited
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return errors.New("not listening after 10s")
		case <-tick.C:
		}
	}
}

// runPing sends count echo requests every interval from the client to the
// server namespace.
func runPing(ctx context.Context, ep *Endpoints, count int, interval time.Duration) (pingStats, error) {
	limit := time.Duration(count)*interval + 15*time.Second
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := nsCommand(ctx, ep.ClientNS, "ping", "-n", "-W", "1",
		"-i", strconv.FormatFloat(interval.Seconds(), 'f', -1, 64),
		"-c", strconv.Itoa(count), ep.ServerIP.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	// ping exits 1 when some replies are missing: the output still counts.
	st, perr := parsePing(out)
	if perr != nil {
		if err != nil {
			return pingStats{}, fmt.Errorf("ping: %w: %s: %w", err, bytes.TrimSpace(stderr.Bytes()), perr)
		}
		return pingStats{}, perr
	}
	return st, nil
}

// nsCommand returns a command that runs name with args inside network
// namespace ns. `ip netns exec` execs the command in place, so the process
// id is the command's own; it is sent SIGTERM when ctx ends, SIGKILL a
// second later.
func nsCommand(ctx context.Context, ns, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Second
	return cmd
}
