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
	"time"
)

// ErrMissingTool is returned (wrapped) by Run when ip, iperf3 or ping is
// not installed.
var ErrMissingTool = errors.New("bench: missing tool (install iproute2, iperf3, iputils-ping)")

// iperfPort is the iperf3 port inside the server namespace; each namespace
// has its own ports, so it never collides with anything outside.
const iperfPort = 5201

// Run sets up every subject at every MTU (MTU by MTU, the subjects side by
// side), measures TCP throughput, small-datagram UDP rate and ping RTT, and
// tears each setup down before the next. A failed setup or measurement is
// recorded in its Result and the run goes on. When ctx is cancelled (say,
// on SIGINT) Run tears down what it set up and returns the partial report
// with ctx's error.
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
	}
	defer func() { rep.Ratios = computeRatios(rep.Results, cfg.Baselines) }()
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
	step := func(what string) { fmt.Fprintf(progress, "bench: %s mtu %d: %s\n", s.Name(), mtu, what) }
	fail := func(what string, err error) {
		res.Errors = append(res.Errors, what+": "+err.Error())
		step(what + " failed: " + err.Error())
	}

	step("setup")
	ep, err := s.Setup(ctx, mtu)
	if err != nil {
		fail("setup", err)
		return res
	}
	defer func() {
		step("teardown")
		if err := ep.Close(); err != nil {
			fail("teardown", err)
		}
	}()

	step(fmt.Sprintf("tcp, %ds", seconds(cfg.Duration)))
	if tcp, err := RunTCP(ctx, ep, cfg.Duration); err != nil {
		fail("tcp", err)
	} else {
		res.TCPGbps = tcp.BitsPerSecond / 1e9
		res.TCPRetransmits = tcp.Retransmits
	}
	if ctx.Err() != nil {
		return res
	}
	step(fmt.Sprintf("udp, %d-byte datagrams, %ds", cfg.UDPLength, seconds(cfg.Duration)))
	if udp, err := runUDP(ctx, ep, cfg.Duration, cfg.UDPLength); err != nil {
		fail("udp", err)
	} else {
		res.UDPPPS, res.UDPSentPPS, res.UDPLossPercent = udp.PPS, udp.SentPPS, udp.LossPercent
	}
	if ctx.Err() != nil {
		return res
	}
	step(fmt.Sprintf("ping, %d every %v", cfg.Pings, cfg.PingInterval))
	if p, err := runPing(ctx, ep, cfg.Pings, cfg.PingInterval); err != nil {
		fail("ping", err)
	} else {
		res.RTTMedianMicros = micros(Percentile(p.RTTs, 50))
		res.RTTP99Micros = micros(Percentile(p.RTTs, 99))
		res.PingLossPercent = p.LossPercent()
	}
	return res
}

// micros returns d in microseconds.
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// RunTCP runs one single-stream TCP iperf3 test.
func RunTCP(ctx context.Context, ep *Endpoints, d time.Duration) (TCPStats, error) {
	client, server, err := iperf(ctx, ep, d, "-t", strconv.Itoa(seconds(d)))
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
