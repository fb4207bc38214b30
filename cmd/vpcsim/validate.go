package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/vpcsim/vpcsim/control"
)

func newValidateCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a topology file and report every problem with its position",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := loadFile(args[0])
			if err != nil {
				return err
			}
			// The rules of the cloud, checked the way a launch applies them.
			if _, err := control.New(t, control.Options{}); err != nil {
				return err
			}
			fmt.Fprintf(opts.stdout, "%s: ok: topology %q, %d VPCs, %d peerings\n", args[0], t.Name, len(t.VPCs), len(t.Peerings))
			return nil
		},
	}
}
