package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/daemon"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/intent"
)

func newCheckCmd(opts *options) *cobra.Command {
	var (
		junit   string
		noProbe bool
	)
	cmd := &cobra.Command{
		Use:   "check [FILE] [--junit FILE] [--no-probe]",
		Short: "Check a topology's expect: rules by analysis and real packets",
		Long: `check evaluates the expect: rules of a topology file: for every host pair a
rule stands for, it asks the analysis of "vpcsim explain" whether the request
and the reply get through, then sends real packets from the source host's
namespace (ping; for a TCP or UDP port, a message that a receiver started on
the destination host echoes back) and compares their fate with the analysis.

Without FILE it checks the running topology (--topology) against the rules
of the file it was launched from. With FILE it launches FILE, checks it and
tears it down: one command for CI. --no-probe skips the real packets; with
FILE nothing is then launched, and no root is needed.

Every rule is reported PASS or FAIL; a failing one with the trace of the
analysis and what to change. The exit status is 0 only when every rule holds
and the real packets agree with the analysis for every pair; 1 otherwise.
--junit writes JUnit XML (one test case per rule) for CI systems to show.`,
		Example: `  vpcsim check examples/non-transitive.yaml
  vpcsim check --junit check.xml topology.yaml
  vpcsim check --topology lab -o json
  vpcsim check --no-probe topology.yaml      # analysis only: no launch, no root`,
		Args:         cobra.MaximumNArgs(1),
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			plan, ex, acting, done, err := checkTarget(ctx, opts, args, !noProbe)
			if err != nil {
				return err
			}
			defer done()
			rep, err := intent.Check(ctx, ex, plan, intent.Options{Probe: !noProbe})
			if err != nil {
				return err
			}
			fixed := make(map[*explain.Result]bool) // rules may share a pair's answer
			for _, rr := range rep.Results {
				for _, o := range rr.Outcomes {
					if o.Explain != nil && !fixed[o.Explain] {
						fixCommands(o.Explain, acting, opts.topology)
						fixed[o.Explain] = true
					}
				}
			}
			if junit != "" {
				if err := writeJUnit(junit, rep); err != nil {
					return err
				}
			}
			if opts.output == "json" {
				err = printJSONText(opts.stdout, rep)
			} else {
				err = rep.WriteText(opts.stdout)
			}
			if err != nil {
				return err
			}
			if !rep.Pass {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&junit, "junit", "", "also write the results as JUnit XML to `FILE`")
	cmd.Flags().BoolVar(&noProbe, "no-probe", false, "analysis only: send no packets (with FILE: launch nothing)")
	return cmd
}

// checkTarget returns the plan to check, the explainer to check it with
// and the acting account's id: those of the running topology, or of FILE
// launched (or, without probes, analysed in memory). done tears down what
// it launched. A batch
// of probes may take longer than most calls: the client waits as long as
// the daemon may take to answer.
func checkTarget(ctx context.Context, opts *options, args []string, probe bool) (intent.Plan, intent.Explainer, string, func(), error) {
	nothing := func() {}
	if len(args) == 0 {
		c, err := dialTopology(opts)
		if err != nil {
			return intent.Plan{}, nil, "", nil, err
		}
		acting, err := c.Account(ctx)
		if err != nil {
			return intent.Plan{}, nil, "", nil, err
		}
		plan, err := c.Intent(ctx)
		if err == nil {
			err = haveRules(plan)
		}
		return plan, c.WithTimeout(api.WriteTimeout), acting.ID, nothing, err
	}
	t, err := loadFile(args[0])
	if err != nil {
		return intent.Plan{}, nil, "", nil, err
	}
	plan := intent.NewPlan(t)
	if err := haveRules(plan); err != nil {
		return intent.Plan{}, nil, "", nil, err
	}
	st, err := control.New(t, control.Options{})
	if err != nil {
		return intent.Plan{}, nil, "", nil, err
	}
	acting, err := st.Account(opts.account)
	if err != nil {
		return intent.Plan{}, nil, "", nil, err
	}
	if !probe {
		return plan, intent.Local{State: st}, acting.ID, nothing, nil
	}
	fmt.Fprintf(opts.stderr, "launching topology %q (%s) to check it\n", t.Name, args[0])
	d, err := daemon.Launch(ctx, t, daemon.Options{Listen: true})
	if err != nil {
		if e := control.AsError(err); e.Code == control.CodeAlreadyRunning {
			return intent.Plan{}, nil, "", nil, control.Errorf(e.Code, "%s; or check it as it runs: vpcsim check --topology %s", e.Message, t.Name)
		}
		return intent.Plan{}, nil, "", nil, err
	}
	done := func() {
		if err := d.Close(); err != nil {
			fmt.Fprintf(opts.stderr, "tearing topology %q down: %v\n", t.Name, err)
			return
		}
		fmt.Fprintf(opts.stderr, "topology %q is down\n", t.Name)
	}
	return plan, daemonExplainer{d: d, acct: opts.account}, acting.ID, done, nil
}

// haveRules refuses a plan without rules: a check of nothing passing
// would let a CI job pass for the wrong reason.
func haveRules(p intent.Plan) error {
	if len(p.Rules) == 0 {
		return control.Errorf(control.CodeInvalidParameter, "topology %q (%s) has no expect: rules: nothing to check; add some, or write them with \"vpcsim save --expect\"", p.Topology, p.File)
	}
	return nil
}

// writeJUnit writes the report as JUnit XML to path.
func writeJUnit(path string, rep *intent.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return control.Errorf(control.CodeInvalidParameter, "--junit: %v", err)
	}
	if err := rep.WriteJUnit(f); err != nil {
		f.Close()
		return fmt.Errorf("--junit: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--junit: %w", err)
	}
	return nil
}

// daemonExplainer asks a daemon of this process, acting as acct.
type daemonExplainer struct {
	d    *daemon.Daemon
	acct string
}

func (e daemonExplainer) ExplainAll(ctx context.Context, reqs []explain.Request, probe bool) ([]*explain.Result, error) {
	return e.d.ExplainAll(ctx, e.acct, reqs, probe)
}

// printJSONText writes v as indented JSON, leaving the "->" and "<->" of
// explanations as they are.
func printJSONText(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
