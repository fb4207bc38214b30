package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
)

// validation is what validate -o json prints: the file's summary when it
// is valid, its errors when not.
type validation struct {
	File     string      `json:"file"`
	Valid    bool        `json:"valid"`
	Topology string      `json:"topology"`
	VPCs     int         `json:"vpcs"`
	Hosts    int         `json:"hosts"`
	Peerings int         `json:"peerings"`
	Errors   []jsonError `json:"errors"`
}

func newValidateCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a topology file and report every problem with its position",
		Long: `Check a topology file as "vpcsim up" would before creating anything: its
syntax and every rule of the cloud (CIDRs, overlaps, peerings, routes,
limits). Each problem is printed as FILE:LINE:COL: message, all at once; the
exit status is 1 when there is any. With -o json the result is one object,
{file, valid, topology, vpcs, hosts, peerings, errors}, each error with its
code, message, file, line and column.`,
		Example: `  vpcsim validate examples/cross-account.yaml
  vpcsim validate topology.yaml -o json | jq '.errors[] | "\(.line):\(.column) \(.message)"'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := validate(args[0])
			if opts.output != "json" {
				if err != nil {
					return err
				}
				fmt.Fprintf(opts.stdout, "%s: ok: topology %q, %d VPCs, %d peerings\n", args[0], t.Name, len(t.VPCs), len(t.Peerings))
				return nil
			}
			v := validation{File: args[0], Valid: err == nil, Errors: []jsonError{}}
			if err != nil {
				v.Errors = jsonErrors(err)
			} else {
				v.Topology, v.VPCs, v.Hosts, v.Peerings = t.Name, len(t.VPCs), countHosts(t), len(t.Peerings)
			}
			if err := printJSON(opts.stdout, v); err != nil {
				return err
			}
			if !v.Valid {
				return &exitError{code: 1}
			}
			return nil
		},
	}
}

// validate parses the topology file path and checks the rules of the
// cloud on it, the way a launch applies them.
func validate(path string) (*topology.Topology, error) {
	t, err := loadFile(path)
	if err != nil {
		return nil, err
	}
	if _, err := control.New(t, control.Options{}); err != nil {
		return nil, err
	}
	return t, nil
}
