package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version and commit are set at build time (make build: -X main.version=...
// -X main.commit=...); else they come from the build info.
var version, commit string

// buildInfo is what vpcsim version says.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Commit: commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && b.Commit == "" {
				b.Commit = s.Value
			}
		}
	}
	if b.Version == "" || b.Version == "(devel)" {
		b.Version = "devel"
	}
	return b
}

// versionString is the one line of vpcsim --version.
func versionString() string {
	b := readBuildInfo()
	commit := b.Commit
	if commit == "" {
		commit = "unknown"
	}
	return fmt.Sprintf("vpcsim %s, commit %s, %s %s", b.Version, commit, b.GoVersion, b.Platform)
}

func newVersionCmd(opts *options) *cobra.Command {
	return &cobra.Command{
		Use:     "version",
		Short:   "Print vpcsim's version, commit and Go version",
		Example: "  vpcsim version\n  vpcsim version -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.output == "json" {
				return printJSON(opts.stdout, readBuildInfo())
			}
			_, err := fmt.Fprintln(opts.stdout, versionString())
			return err
		},
	}
}
