package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time (make build: -X main.version=...); else the
// module's version from the build info.
var version = ""

// buildInfo is what vpcsim version says.
type buildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Modified  bool   `json:"modified"` // the commit's tree had changes
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	info, ok := debug.ReadBuildInfo()
	if ok {
		if b.Version == "" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.modified":
				b.Modified = s.Value == "true"
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
	if b.Modified {
		commit += " (modified)"
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
