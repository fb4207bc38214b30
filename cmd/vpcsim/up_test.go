package main

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestBusyPollFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"up", "--busy-poll", "-1ms"}, "invalid --busy-poll -1ms: must not be negative"},
		{[]string{"up", "--busy-poll", "soon"}, `invalid argument "soon" for "--busy-poll"`},
		{[]string{"bench", "--busy-poll", "0s"}, "invalid --busy-poll 0s: must be positive"},
		{[]string{"bench", "--subjects", "vpcsim-fast"}, `unknown subject "vpcsim-fast": want kernel, bare-tun, vpcsim, vpcsim-busy, vpcsim-1lane or vpcsim-1lane-busy`},
		{[]string{"bench", "--pairs", "0"}, "invalid --pairs 0: want 1..16"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errOut, code := vpcsim(t, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("vpcsim %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tt.args, " "), code, errOut, tt.want)
			}
		})
	}
}

// TestDetachedDaemonGetsLaunchFlags checks that vpcsim up -d passes its
// launch settings on to the daemon it starts.
func TestDetachedDaemonGetsLaunchFlags(t *testing.T) {
	for _, tt := range []struct {
		lf   launchFlags
		want []string
	}{
		{launchFlags{}, nil},
		{launchFlags{busyPoll: 50 * time.Millisecond}, []string{"--busy-poll", "50ms"}},
		{launchFlags{metricsAddr: ":9464", busyPoll: time.Second}, []string{"--metrics-addr", ":9464", "--busy-poll", "1s"}},
		{launchFlags{consoleAddr: ":8080"}, []string{"--console", ":8080"}},
	} {
		if got := tt.lf.args(); !slices.Equal(got, tt.want) {
			t.Errorf("%+v.args() = %q, want %q", tt.lf, got, tt.want)
		}
		// The daemon child parses them back to the same settings.
		cmd := newUpCmd(&options{})
		if err := cmd.ParseFlags(tt.lf.args()); err != nil {
			t.Fatalf("parse %q: %v", tt.lf.args(), err)
		}
		got := launchFlags{}
		got.metricsAddr, _ = cmd.Flags().GetString("metrics-addr")
		got.busyPoll, _ = cmd.Flags().GetDuration("busy-poll")
		got.consoleAddr, _ = cmd.Flags().GetString("console")
		if got != tt.lf {
			t.Errorf("child parsed %q as %+v, want %+v", tt.lf.args(), got, tt.lf)
		}
	}
}
