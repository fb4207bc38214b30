package main

// The command line's conventions, one test per convention: filters, typos
// and exit statuses, version, examples, completion, JSON, confirmation,
// logs and accounts.

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
)

// TestListFilters: the console's filters of peerings, routes and stats;
// peerings by id or name.
func TestListFilters(t *testing.T) {
	tempRunDir(t)
	startTopology(t, "cli")
	mustRun(t, "peering", "create", "--vpc", "vpc1", "--peer-vpc", "vpc3", "--peer-account", partner, "--name", "ToPartner")

	ids := func(args ...string) []string {
		t.Helper()
		var ps []control.Peering
		out := mustRun(t, append(args, "-o", "json")...)
		if err := json.Unmarshal([]byte(out), &ps); err != nil || ps == nil {
			t.Fatalf("vpcsim %s -o json = %q (%v), want a JSON array", strings.Join(args, " "), out, err)
		}
		var ids []string
		for _, p := range ps {
			ids = append(ids, p.Name)
		}
		return ids
	}
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"peering", "list"}, []string{"PeerConn", "ToPartner"}},
		{[]string{"peering", "list", "--vpc", "vpc2"}, []string{"PeerConn"}},
		{[]string{"peering", "list", "--status", "pending-acceptance"}, []string{"ToPartner"}},
		{[]string{"peering", "list", "--region", "wuhan", "--status", "active"}, []string{"PeerConn"}},
		{[]string{"peering", "list", "--region", "nowhere"}, nil},
		{[]string{"peering", "list", "--status", "deleted"}, nil},
	} {
		if got := ids(tt.args...); !slices.Equal(got, tt.want) {
			t.Errorf("vpcsim %s: %q, want %q", strings.Join(tt.args, " "), got, tt.want)
		}
	}
	if out := mustRun(t, "peering", "list", "--region", "nowhere", "-o", "json"); out != "[]\n" {
		t.Errorf("an empty list in JSON is %q, want []", out)
	}
	_, errOut, code := vpcsim(t, "peering", "list", "--status", "gone")
	if code != 1 || !strings.HasPrefix(errOut, "error: InvalidParameter: invalid status \"gone\"") {
		t.Errorf("peering list --status gone: exit %d, stderr %q", code, errOut)
	}

	// By name, as by id.
	if byName, byID := mustRun(t, "peering", "show", "PeerConn"), mustRun(t, "peering", "show", "pcx-1"); byName != byID {
		t.Errorf("peering show PeerConn =\n%s\npeering show pcx-1 =\n%s", byName, byID)
	}
	out := mustRun(t, "route", "list", "--peering", "PeerConn")
	if strings.Count(out, "pcx-1") != 2 || strings.Contains(out, "local") {
		t.Errorf("route list --peering PeerConn =\n%s", out)
	}

	// stats hands its filter to the daemon.
	tempRunDir(t)
	got := make(chan api.StatsFilter, 1)
	serveFake(t, "one", nil, &fakeBackend{stats: func(f api.StatsFilter) (api.Stats, error) {
		got <- f
		return api.Stats{}, nil
	}})
	mustRun(t, "stats", "--vpc", "vpc1", "--peering", "PeerConn", "--host", "a1")
	if f := <-got; f != (api.StatsFilter{VPC: "vpc1", Peering: "PeerConn", Host: "a1"}) {
		t.Errorf("stats --vpc vpc1 --peering PeerConn --host a1 asked for %+v", f)
	}
}

// TestTopologyFromEnvironment: VPCSIM_TOPOLOGY chooses among running
// topologies as --topology does, and the flag wins.
func TestTopologyFromEnvironment(t *testing.T) {
	tempRunDir(t)
	startTopology(t, "one")
	st := startTopology(t, "two")
	if _, err := st.CreatePeering(me, control.CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc3", PeerAccount: partner, Name: "only-in-two"}); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := vpcsim(t, "peering", "list"); code != 1 || !strings.Contains(errOut, "MissingParameter") {
		t.Errorf("two topologies, none chosen: exit %d, stderr %q", code, errOut)
	}
	t.Setenv("VPCSIM_TOPOLOGY", "two")
	if out := mustRun(t, "peering", "list"); !strings.Contains(out, "only-in-two") {
		t.Errorf("VPCSIM_TOPOLOGY=two peering list =\n%s", out)
	}
	if out := mustRun(t, "--topology", "one", "peering", "list"); strings.Contains(out, "only-in-two") {
		t.Errorf("--topology one beside VPCSIM_TOPOLOGY=two listed two's peering:\n%s", out)
	}
}

// TestUsageErrors: mistakes on the command line exit 2 with a message that
// says what to type instead.
func TestUsageErrors(t *testing.T) {
	tempRunDir(t)
	tests := []struct {
		args []string
		want string // a regular expression stderr matches
	}{
		{[]string{"peering", "lst"}, `unknown command "lst" for "vpcsim peering"\n\nDid you mean this\?\n\tlist\n`},
		{[]string{"route", "lst"}, `unknown command "lst" for "vpcsim route"\n\nDid you mean this\?\n\tlist\n`},
		{[]string{"account", "lst"}, `unknown command "lst" for "vpcsim account"\n\nDid you mean this\?\n\tlist\n`},
		{[]string{"stauts"}, `Did you mean this\?\n\tstatus\n`},
		{[]string{"help", "bogus"}, `unknown help topic "bogus"`},
		{[]string{"completion", "bogus"}, `unknown command "bogus" for "vpcsim completion"`},
		{[]string{"stats", "--interval", "2s"}, `--interval goes with --watch`},
		{[]string{"peering", "list", "-o", "yaml"}, `invalid --output "yaml": want table or json`},
		{[]string{"graph", "-o", "svg"}, `invalid --output "svg": want dot, mermaid or json`},
		{[]string{"down", "-o", "json"}, `vpcsim down prints only text`},
	}
	for _, tt := range tests {
		_, errOut, code := vpcsim(t, tt.args...)
		if code != 2 || !regexp.MustCompile(tt.want).MatchString(errOut) {
			t.Errorf("vpcsim %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(tt.args, " "), code, errOut, tt.want)
		}
	}

	// Bad log flags are refused by every command, before it does anything.
	walk(newRootCmd(&options{}), func(c *cobra.Command) {
		path := strings.Fields(c.CommandPath())[1:]
		for _, flag := range [][]string{{"--log-level", "bogus"}, {"--log-format", "xml"}} {
			args := append(slices.Clone(path), flag...)
			for n := 0; c.Args != nil && c.Args(c, make([]string, n)) != nil && n < 3; n++ {
				args = append(args, "x") // enough arguments to get past their count
			}
			_, errOut, code := vpcsim(t, args...)
			if code != 2 || !strings.Contains(errOut, "invalid "+flag[0]) {
				t.Errorf("vpcsim %s: exit %d, stderr %q; want exit 2, invalid %s", strings.Join(args, " "), code, errOut, flag[0])
			}
		}
	})
}

// walk calls fn for every command under root that a user may run.
func walk(root *cobra.Command, fn func(*cobra.Command)) {
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		fn(c)
		walk(c, fn)
	}
}

func TestVersion(t *testing.T) {
	out := mustRun(t, "version")
	re := regexp.MustCompile(`^vpcsim \S+, commit \S+, ` + regexp.QuoteMeta(runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) + "\n$")
	if !re.MatchString(out) {
		t.Errorf("vpcsim version = %q, want it to match %s", out, re)
	}
	if flag := mustRun(t, "--version"); flag != out {
		t.Errorf("vpcsim --version = %q, vpcsim version = %q", flag, out)
	}
	var b map[string]string
	if err := json.Unmarshal([]byte(mustRun(t, "version", "-o", "json")), &b); err != nil ||
		b["go_version"] != runtime.Version() || b["version"] == "" || len(b) != 4 {
		t.Errorf("vpcsim version -o json = %v (%v)", b, err)
	}
}

// TestExamplesParse: every command shows examples, and each example names
// commands and flags that exist, with arguments they accept.
func TestExamplesParse(t *testing.T) {
	walk(newRootCmd(&options{}), func(c *cobra.Command) {
		if c.Example == "" {
			t.Errorf("%s has no examples", c.CommandPath())
			return
		}
		for _, line := range strings.Split(c.Example, "\n") {
			args, ok := exampleArgs(line)
			if !ok {
				t.Errorf("%s: example %q does not start with vpcsim", c.CommandPath(), line)
				continue
			}
			if err := parses(args); err != nil {
				t.Errorf("%s: example %q: %v", c.CommandPath(), line, err)
			}
		}
	})
}

// exampleArgs returns the arguments of vpcsim in an example line, without
// its comment, redirections, what it pipes into and what follows it.
func exampleArgs(line string) ([]string, bool) {
	line, _, _ = strings.Cut(line, " #")
	line, _, _ = strings.Cut(line, " | ")
	line, _, _ = strings.Cut(line, " > ")
	line, _, _ = strings.Cut(line, " 2>")
	line, _, _ = strings.Cut(line, " && ")
	var args []string
	var cur strings.Builder
	quote := rune(0)
	in := false
	for _, r := range strings.TrimSpace(line) {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ':
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		args = append(args, cur.String())
	}
	if len(args) == 0 || args[0] != "vpcsim" {
		return nil, false
	}
	return args[1:], true
}

// parses checks args as cobra would before running the command.
func parses(args []string) error {
	root := newRootCmd(&options{stdout: os.Stdout, stderr: os.Stderr})
	c, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if err := c.ParseFlags(rest); err != nil {
		return err
	}
	return c.ValidateArgs(c.Flags().Args())
}

// TestCompletion completes resource names from the running topology
// through cobra's __complete, as the shells call it.
func TestCompletion(t *testing.T) {
	tempRunDir(t)
	st, err := control.New(cliTopology(), control.Options{Now: func() time.Time { return created }})
	if err != nil {
		t.Fatal(err)
	}
	serveFake(t, "cli", st, &fakeBackend{status: func(string) (api.Status, error) {
		return api.Status{Name: "cli",
			VPCs:  []api.VPCStatus{{ID: "vpc1"}, {ID: "vpc2"}},
			Hosts: []api.HostStatus{{Name: "a1"}, {Name: "b1"}},
		}, nil
	}})
	writeRecord(t, "cli")
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"peering", "show", ""}, []string{"pcx-1", "PeerConn"}},
		{[]string{"peering", "delete", "P"}, []string{"PeerConn"}},
		{[]string{"peering", "list", "--vpc", ""}, []string{"vpc1", "vpc2"}},
		{[]string{"peering", "list", "--status", "p"}, []string{"pending-acceptance"}},
		{[]string{"route", "list", "--table", ""}, []string{"vpc1-default", "rtb-a", "vpc2-default"}},
		{[]string{"route", "add", "--peering", ""}, []string{"pcx-1", "PeerConn"}},
		{[]string{"stats", "--host", ""}, []string{"a1", "b1"}},
		{[]string{"exec", ""}, []string{"a1", "b1"}},
		{[]string{"explain", "a1", ""}, []string{"a1", "b1"}},
		{[]string{"capture", "--peering", "pcx"}, []string{"pcx-1"}},
		{[]string{"down", ""}, []string{"cli"}},
		{[]string{"--topology", ""}, []string{"cli"}},
		{[]string{"--account", ""}, []string{me, partner}},
		{[]string{"status", "-o", ""}, []string{"table", "json"}},
		{[]string{"graph", "-o", ""}, []string{"dot", "mermaid", "json"}},
		{[]string{"--log-level", "w"}, []string{"warn"}},
	}
	for _, tt := range tests {
		out := mustRun(t, append([]string{"__complete"}, tt.args...)...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if got := lines[:len(lines)-1]; !slices.Equal(got, tt.want) || !strings.HasPrefix(lines[len(lines)-1], ":") {
			t.Errorf("vpcsim __complete %q = %q, want %q", tt.args, lines, tt.want)
		}
	}
}

// TestConfirmDelete: peering delete asks on a terminal, and only there.
func TestConfirmDelete(t *testing.T) {
	tempRunDir(t)
	st := startTopology(t, "cli")
	active := func() bool {
		p, err := st.ShowPeering(me, "pcx-1")
		return err == nil && p.Status == control.StatusActive
	}
	answer := func(reply string, args ...string) (stdout, stderr string, code int) {
		term, master := newPTY(t)
		master.WriteString(reply)
		var out, errOut strings.Builder
		code = runIO(context.Background(), args, term, &out, &errOut)
		return out.String(), errOut.String(), code
	}
	out, errOut, code := answer("n\n", "peering", "delete", "pcx-1")
	if code != 0 || out != "" || !strings.Contains(errOut, "Delete peering pcx-1 and every route over it? [y/N] ") ||
		!strings.Contains(errOut, "nothing was done") || !active() {
		t.Errorf("answered n: exit %d, stdout %q, stderr %q, still active %v", code, out, errOut, active())
	}
	out, errOut, code = answer("y\n", "peering", "delete", "--yes", "PeerConn")
	if code != 0 || strings.Contains(errOut, "[y/N]") || active() {
		t.Errorf("--yes: exit %d, stdout %q, stderr %q, still active %v", code, out, errOut, active())
	}

	// Not a terminal: never asks.
	tempRunDir(t)
	st = startTopology(t, "cli")
	if _, errOut, code := vpcsim(t, "peering", "delete", "pcx-1"); code != 0 || errOut != "" || active() {
		t.Errorf("without a terminal: exit %d, stderr %q, still active %v", code, errOut, active())
	}
}

func TestLogs(t *testing.T) {
	tempRunDir(t)
	if _, errOut, code := vpcsim(t, "logs"); code != 1 || !strings.Contains(errOut, "TopologyNotRunning") {
		t.Errorf("logs with no topology: exit %d, stderr %q", code, errOut)
	}
	if _, errOut, code := vpcsim(t, "logs", "nosuch"); code != 1 || !strings.Contains(errOut, `topology "nosuch" has no log`) {
		t.Errorf("logs nosuch: exit %d, stderr %q", code, errOut)
	}
	writeRecord(t, "lab")
	f, err := daemon.OpenLog("lab")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("first line\n")
	if out := mustRun(t, "logs"); out != "first line\n" {
		t.Errorf("logs = %q", out)
	}

	// -f prints what comes later, until interrupted.
	ctx, cancel := context.WithCancel(context.Background())
	var out strings.Builder
	done := make(chan int)
	go func() { done <- run(ctx, []string{"logs", "lab", "-f"}, &out, &out) }()
	time.Sleep(300 * time.Millisecond)
	f.WriteString("second line\n")
	time.Sleep(500 * time.Millisecond)
	cancel()
	if code := <-done; code != 0 || out.String() != "first line\nsecond line\n" {
		t.Errorf("logs -f: exit %d, printed %q", code, out.String())
	}
}

// TestAccounts: account list, and --account by name.
func TestAccounts(t *testing.T) {
	tempRunDir(t)
	startTopology(t, "cli")
	if out := mustRun(t, "account", "list"); out != "ID            NAME\n"+me+"  me\n"+partner+"  partner\n" {
		t.Errorf("account list =\n%s", out)
	}
	var as []control.Account
	if err := json.Unmarshal([]byte(mustRun(t, "account", "list", "-o", "json")), &as); err != nil || len(as) != 2 || as[1] != (control.Account{ID: partner, Name: "partner"}) {
		t.Errorf("account list -o json = %+v (%v)", as, err)
	}
	if out := mustRun(t, "--account", "partner", "account"); !strings.Contains(out, partner+"  partner") {
		t.Errorf("--account partner account =\n%s", out)
	}
	if out := mustRun(t, "--account", "partner", "route", "list"); !strings.Contains(out, "vpc3-default") || strings.Contains(out, "vpc1") {
		t.Errorf("--account partner route list =\n%s", out)
	}
}
