package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/topology"
)

func newExecCmd(opts *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exec HOST -- CMD [ARGS...]",
		Short: "Run a command inside a host's network namespace",
		Long: `Run CMD inside the network namespace of HOST, of --topology or of the one
running topology that has a host of that name.

CMD runs in a process group of its own, in the terminal's foreground when
there is one, so that job control works; SIGINT, SIGTERM, SIGHUP and SIGQUIT
sent to vpcsim reach that whole group (CMD's traps run, and what it started
ends with it). The exit status is CMD's, as a shell gives it: 128+N when
signal N ended it, 127 when CMD is not found, 126 when it cannot be run.
What CMD leaves running in the namespace runs until it exits, or until
"vpcsim down" ends it with the topology.`,
		Example: `  vpcsim exec a1 -- ping -c 3 10.0.1.10
  vpcsim exec b1 -- iperf3 -s
  vpcsim --topology lab exec a1 -- sh`,
		Args:        cobra.MinimumNArgs(2),
		Annotations: textOnly,
		RunE: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() != 1 {
				return usageErrorf("put -- between HOST and the command, so that its flags stay its own: vpcsim exec %s -- %s", args[0], strings.Join(args[1:], " "))
			}
			r, err := hostRecord(opts, args[0])
			if err != nil {
				return err
			}
			path, err := exec.LookPath(args[1])
			if err != nil {
				// As a shell says it, and with its exit status.
				code := 127
				if !errors.Is(err, exec.ErrNotFound) && !errors.Is(err, fs.ErrNotExist) {
					code = 126
				}
				fmt.Fprintf(opts.stderr, "vpcsim exec: %s: %v\n", args[1], unwrapExec(err))
				return &exitError{code: code}
			}
			ip, err := exec.LookPath("ip")
			if err != nil {
				return control.Errorf(control.CodeInternal, "exec needs ip (Debian: apt-get install iproute2): %v", err)
			}
			c := exec.Command(ip, append([]string{"netns", "exec", topology.NamespaceName(r.Name, args[0]), path}, args[2:]...)...)
			c.Stdin, c.Stdout, c.Stderr = os.Stdin, opts.stdout, opts.stderr
			return runInGroup(c)
		},
	}
	// "exec a1 ping -c 1 x": ping's flags reach vpcsim without --.
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		i := slices.Index(opts.args, "exec")
		if rest := opts.args[i+1:]; i >= 0 && len(rest) > 1 && !slices.Contains(rest, "--") {
			return usageErrorf("%v: put -- between HOST and the command, so that its flags stay its own: vpcsim exec %s -- %s",
				err, rest[0], strings.Join(rest[1:], " "))
		}
		return usageError{err}
	})
	cmd.ValidArgsFunction = completeArgs(opts, completeHosts)
	return cmd
}

// forwarded are the signals vpcsim exec passes on to the command's group.
var forwarded = []os.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// runInGroup runs c in a process group of its own, the terminal's
// foreground group while it runs if standard input is a terminal, passes
// the forwarded signals on to the group, and returns c's exit status as a
// shell would (an exitError).
func runInGroup(c *exec.Cmd) error {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	tty := -1
	if isTerminal(os.Stdin) {
		tty = int(os.Stdin.Fd())
		c.SysProcAttr.Foreground, c.SysProcAttr.Ctty = true, tty
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		return control.Errorf(control.CodeInternal, "exec: %v", err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case sig := <-sigs:
				syscall.Kill(-c.Process.Pid, sig.(syscall.Signal))
			case <-done:
				return
			}
		}
	}()
	err := c.Wait()
	close(done)
	if tty >= 0 {
		// Take the terminal back for vpcsim's own group; a background
		// group asking would be stopped by SIGTTOU.
		signal.Ignore(syscall.SIGTTOU)
		unix.IoctlSetPointerInt(tty, unix.TIOCSPGRP, syscall.Getpgrp())
		signal.Reset(syscall.SIGTTOU)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return err
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return &exitError{code: 128 + int(ws.Signal())}
	}
	return &exitError{code: ee.ExitCode()}
}

// unwrapExec returns the cause of a LookPath error: "executable file not
// found in $PATH", "permission denied".
func unwrapExec(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return ee.Err
	}
	return err
}

// hostRecord returns the record of the running topology that has the host:
// --topology's, or the only running one with a host of that name.
func hostRecord(opts *options, host string) (daemon.Record, error) {
	if opts.topology != "" {
		if err := checkTopologyName("--topology", opts.topology); err != nil {
			return daemon.Record{}, err
		}
		r, err := daemon.ReadRecord(opts.topology)
		if err != nil || !r.Alive() {
			return r, control.Errorf(control.CodeTopologyNotRunning, "topology %q is not running", opts.topology)
		}
		if !slices.Contains(r.Namespaces, topology.NamespaceName(r.Name, host)) {
			return r, control.Errorf(control.CodeHostNotFound, "topology %q has no host %q", r.Name, host)
		}
		return r, nil
	}
	recs, err := daemon.Records()
	if err != nil {
		return daemon.Record{}, err
	}
	var live, have []daemon.Record
	for _, r := range recs {
		if r.Alive() {
			live = append(live, r)
			if slices.Contains(r.Namespaces, topology.NamespaceName(r.Name, host)) {
				have = append(have, r)
			}
		}
	}
	switch {
	case len(live) == 0:
		return daemon.Record{}, errNoTopology
	case len(have) == 1:
		return have[0], nil
	case len(have) > 1:
		return daemon.Record{}, control.Errorf(control.CodeMissingParameter, "%d running topologies have a host %q (%s); choose one with --topology", len(have), host, recordNames(have))
	case len(live) == 1:
		return daemon.Record{}, control.Errorf(control.CodeHostNotFound, "topology %q has no host %q", live[0].Name, host)
	}
	return daemon.Record{}, control.Errorf(control.CodeHostNotFound, "no running topology has a host %q (running: %s)", host, recordNames(live))
}
