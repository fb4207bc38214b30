package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/examples"
	"github.com/vpcsim/vpcsim/topology"
)

func newUpCmd(opts *options) *cobra.Command {
	var detach, child bool
	var lf launchFlags
	cmd := &cobra.Command{
		Use:   "up [-d] [FILE]",
		Short: "Launch a topology (default: the built-in best-practice example)",
		Long: `Launch the topology of FILE: a network namespace and TUN interface per host,
a router per VPC, the peerings and routes of the file, and the control API.

Without -d, vpcsim runs until interrupted (Ctrl-C), then tears everything
down. With -d it returns once the topology is up, leaving a daemon behind;
stop it with "vpcsim down". Without FILE, the built-in best-practice example
is launched.

Every control change is saved in /var/lib/vpcsim/NAME/state.db
($VPCSIM_STATE_DIR) before the call that makes it returns. If the daemon
dies (killed, out of memory, a reboot), "vpcsim up -d FILE" resumes the
topology: the same peerings, statuses, routes and ids, requests that fell
due meanwhile expired, and the hosts' namespaces reused, so what runs in
them (an iperf3 -s, a shell) keeps running. A FILE that says something else
than the one the state was made from is refused (StateMismatch); --reset
discards the saved state and starts from FILE.`,
		Example: `  vpcsim up                           # the built-in best-practice example, until Ctrl-C
  vpcsim up -d examples/cross-account.yaml
  vpcsim up -d --metrics-addr :9464 topology.yaml
  vpcsim up -d --console :8080 topology.yaml   # the web console at http://127.0.0.1:8080/
  vpcsim up -d --reset topology.yaml  # forget what was saved`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if lf.busyPoll < 0 {
				return usageErrorf("invalid --busy-poll %v: must not be negative", lf.busyPoll)
			}
			t, err := loadTopology(args)
			if err != nil {
				return err
			}
			if detach && !child {
				return upDetached(cmd.Context(), opts, t, args, lf)
			}
			return upForeground(cmd, opts, t, child, lf)
		},
	}
	cmd.Flags().BoolVarP(&detach, "detach", "d", false, "return once the topology is up, leaving a background daemon")
	cmd.Flags().StringVar(&lf.metricsAddr, "metrics-addr", "", "serve Prometheus metrics at http://ADDR/metrics (a bare port such as :9464 listens on 127.0.0.1; default: off)")
	cmd.Flags().StringVar(&lf.consoleAddr, "console", "", "serve the web console at http://ADDR/ (a bare port such as :8080 listens on 127.0.0.1; default: off, see \"vpcsim console\")")
	cmd.Flags().BoolVar(&lf.reset, "reset", false, "discard the topology's saved state and start from FILE")
	cmd.Flags().DurationVar(&lf.busyPoll, "busy-poll", 0, "keep polling the hosts this long after each packet instead of sleeping: lower latency, a CPU busy for each lane that traffic flows through (e.g. 50ms; default: off)")
	cmd.Flags().BoolVarP(&lf.quiet, "quiet", "q", false, "print no progress, only the summary")
	cmd.Flags().BoolVar(&child, "daemon-child", false, "internal: run as the detached daemon")
	cmd.Flags().MarkHidden("daemon-child")
	return cmd
}

// loadTopology parses the file named in args, or the built-in example.
func loadTopology(args []string) (*topology.Topology, error) {
	if len(args) == 0 {
		return topology.Parse("best-practice.yaml (built-in)", examples.BestPractice())
	}
	return loadFile(args[0])
}

// loadFile parses the topology file path; a file that cannot be read is
// an InvalidParameter.
func loadFile(path string) (*topology.Topology, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, control.Errorf(control.CodeInvalidParameter, "cannot read topology file: %v", err)
	}
	return topology.Parse(path, data)
}

// launchFlags are the settings of vpcsim up that a detached daemon is
// started with too.
type launchFlags struct {
	metricsAddr string
	consoleAddr string
	busyPoll    time.Duration
	reset       bool
	quiet       bool
}

// args returns the flags that give a daemon child the same settings.
func (lf launchFlags) args() []string {
	var args []string
	if lf.metricsAddr != "" {
		args = append(args, "--metrics-addr", lf.metricsAddr)
	}
	if lf.consoleAddr != "" {
		args = append(args, "--console", lf.consoleAddr)
	}
	if lf.reset {
		args = append(args, "--reset")
	}
	if lf.quiet {
		args = append(args, "--quiet")
	}
	if lf.busyPoll != 0 {
		args = append(args, "--busy-poll", lf.busyPoll.String())
	}
	return args
}

// launched is what up -o json prints: the status of the topology launched
// and how long the launch took.
type launched struct {
	api.Status
	LaunchSeconds float64 `json:"launch_seconds"`
}

func upForeground(cmd *cobra.Command, opts *options, t *topology.Topology, child bool, lf launchFlags) error {
	start := time.Now()
	ctx := cmd.Context()
	logOut := opts.stderr
	if child {
		// A parent that goes away must not kill the launch: writes to
		// its pipes fail instead of raising SIGPIPE, and are ignored.
		signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
		f, err := daemon.OpenLog(t.Name)
		if err != nil {
			return err
		}
		defer f.Close()
		logOut = f
	}
	if !child && !cmd.Flags().Changed("log-level") && !cmd.Flags().Changed("log-format") {
		logOut = io.Discard // the progress lines say it all; --log-level or --log-format asks for logs
	}
	log, err := newLogger(opts, logOut)
	if err != nil {
		return err
	}
	// Progress and messages go to standard output, or to standard error
	// when it carries JSON.
	say := opts.stdout
	if opts.output == "json" {
		say = opts.stderr
	}
	progress := say
	if lf.quiet {
		progress = io.Discard
	}
	fmt.Fprintf(progress, "launching topology %q (%d VPCs, %d hosts, %d peerings)\n",
		t.Name, len(t.VPCs), countHosts(t), len(t.Peerings))
	d, err := daemon.Launch(ctx, t, daemon.Options{Progress: progress, Logger: log, Listen: true,
		MetricsAddr: lf.metricsAddr, ConsoleAddr: lf.consoleAddr, BusyPoll: lf.busyPoll, Durable: true, Reset: lf.reset})
	if err != nil {
		return err
	}
	defer d.Close()
	st, err := d.Status("")
	if err != nil {
		return err
	}
	took := time.Since(start)
	if opts.output == "json" {
		err = printJSON(opts.stdout, launched{Status: st, LaunchSeconds: took.Seconds()})
	} else {
		writeStatus(opts.stdout, st)
		fmt.Fprintln(opts.stdout)
	}
	if err != nil {
		return err
	}
	took = took.Round(time.Millisecond)
	if c, ok := d.Console(); ok && lf.quiet { // the progress, which says where, was not printed
		fmt.Fprintf(say, "console  %s\n", c.URL)
		if c.Warning != "" {
			fmt.Fprintf(opts.stderr, "warning: %s\n", c.Warning)
		}
	}
	if child {
		// Tell the waiting parent we are up, then write only the log.
		fmt.Fprintf(say, "topology %q is up in %v (pid %d); stop it with \"vpcsim down %s\"\n", t.Name, took, os.Getpid(), t.Name)
		if err := detachStdio(logOut.(*os.File)); err != nil {
			return err
		}
		signalReady()
	} else {
		fmt.Fprintf(say, "topology %q is up in %v; press Ctrl-C to tear it down\n", t.Name, took)
	}
	select {
	case <-ctx.Done():
	case <-d.Done():
	}
	err = d.Close()
	if !child {
		// Ctrl-C in the foreground is "vpcsim down": the state goes too.
		err = errors.Join(err, daemon.RemoveState(t.Name))
		fmt.Fprintf(say, "topology %q is down\n", t.Name)
	}
	return err
}

// detachStdio points standard input, output and error away from the
// launching terminal.
func detachStdio(log *os.File) error {
	null, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer null.Close()
	for _, fd := range []struct{ from, to int }{{int(null.Fd()), 0}, {int(log.Fd()), 1}, {int(log.Fd()), 2}} {
		if err := unix.Dup2(fd.from, fd.to); err != nil {
			return fmt.Errorf("detach: %w", err)
		}
	}
	return nil
}

// readyFD is the descriptor on which a daemon child tells its parent that
// the topology is up: the first of exec.Cmd.ExtraFiles.
const readyFD = 3

// signalReady tells the parent of a daemon child that the topology is up.
func signalReady() {
	f := os.NewFile(readyFD, "ready")
	f.Write([]byte("ready\n")) // the parent may be gone: nothing to do then
	f.Close()
}

// upDetached validates t, then starts vpcsim up as a daemon in its own
// session and relays its progress until it is up or has failed. Ctrl-C
// meanwhile (ctx done) interrupts the launch: the daemon removes what it
// created, and says so.
func upDetached(ctx context.Context, opts *options, t *topology.Topology, args []string, lf launchFlags) error {
	// Every rule is checked here too, so that a bad file fails before a
	// daemon starts.
	if _, err := control.New(t, control.Options{}); err != nil {
		return err
	}
	if r, err := daemon.ReadRecord(t.Name); err == nil && r.Alive() {
		return control.Errorf(control.CodeAlreadyRunning, "topology %q is already running (pid %d); stop it with \"vpcsim down %s\"", t.Name, r.PID, t.Name)
	}
	c, err := daemonCommand(opts, args, lf)
	if err != nil {
		return err
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer readyR.Close()
	c.ExtraFiles = []*os.File{readyW}
	relay, err := relayOutput(c, opts.stdout, opts.stderr)
	if err != nil {
		readyW.Close()
		return err
	}
	err = c.Start()
	readyW.Close()
	if err != nil {
		relay.abort()
		return fmt.Errorf("start daemon: %w", err)
	}
	ready := make(chan bool, 1)
	go func() {
		b := make([]byte, 16)
		n, _ := readyR.Read(b)
		ready <- n > 0
	}()
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()

	select {
	case ok := <-ready:
		if ok {
			relay.wait()
			return nil
		}
		// The daemon closed the pipe without being up: it failed.
	case <-ctx.Done():
		c.Process.Signal(os.Interrupt)
		<-exited
		relay.wait()
		fmt.Fprintf(opts.stderr, "launch of topology %q interrupted; the daemon removed what it had created\n", t.Name)
		return &exitError{code: 130}
	}
	err = <-exited
	relay.wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return &exitError{code: ee.ExitCode()}
	}
	if err == nil {
		return control.Errorf(control.CodeInternal, "the daemon of topology %q exited before the topology was up", t.Name)
	}
	return err
}

// daemonCommand returns the command of a detached daemon: vpcsim up with
// the same settings, in a session of its own.
func daemonCommand(opts *options, args []string, lf launchFlags) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	childArgs := []string{"up", "--daemon-child", "--log-level", opts.logLevel, "--log-format", opts.logFormat, "--output", opts.output}
	childArgs = append(childArgs, lf.args()...)
	if len(args) == 1 {
		abs, err := filepath.Abs(args[0])
		if err != nil {
			return nil, err
		}
		childArgs = append(childArgs, abs)
	}
	c := exec.Command(self, childArgs...)
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return c, nil
}

// outputRelay copies a child's standard output and error until the child
// closes both.
type outputRelay struct {
	writers []*os.File
	done    chan struct{}
	pending int
}

// relayOutput connects c's standard output and error to pipes copied to
// stdout and stderr.
func relayOutput(c *exec.Cmd, stdout, stderr io.Writer) (*outputRelay, error) {
	r := &outputRelay{done: make(chan struct{}, 2)}
	for _, dst := range []io.Writer{stdout, stderr} {
		pr, pw, err := os.Pipe()
		if err != nil {
			r.abort()
			return nil, err
		}
		r.writers = append(r.writers, pw)
		r.pending++
		go func() {
			defer pr.Close()
			io.Copy(dst, pr)
			r.done <- struct{}{}
		}()
	}
	c.Stdout, c.Stderr = r.writers[0], r.writers[1]
	return r, nil
}

// wait closes the parent's ends and waits until the child closed its own.
func (r *outputRelay) wait() {
	r.abort()
	for ; r.pending > 0; r.pending-- {
		<-r.done
	}
}

// abort closes the parent's copies of the write ends.
func (r *outputRelay) abort() {
	for _, w := range r.writers {
		w.Close()
	}
}

func countHosts(t *topology.Topology) int {
	n := 0
	for _, v := range t.VPCs {
		n += len(v.Hosts)
	}
	return n
}

// newLogger builds the slog logger of --log-level and --log-format.
func newLogger(opts *options, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(opts.logLevel)); err != nil {
		return nil, usageErrorf("invalid --log-level %q: want debug, info, warn or error", opts.logLevel)
	}
	ho := &slog.HandlerOptions{Level: level}
	switch opts.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, ho)), nil
	}
	return nil, usageErrorf("invalid --log-format %q: want text or json", opts.logFormat)
}
