package tuntest

import (
	"os"
	"os/exec"
	"testing"
)

// debianPackages names the Debian package of each tool the tests run.
var debianPackages = map[string]string{
	"curl":    "curl",
	"dot":     "graphviz",
	"ip":      "iproute2",
	"iperf3":  "iperf3",
	"ping":    "iputils-ping",
	"tcpdump": "tcpdump",
	"tshark":  "tshark",
}

// NeedRoot skips t unless it may create network namespaces and TUN devices
// and run the named tools: it skips in -short mode (make unit, which
// creates neither, even as root), when the test does not run as root, and
// when one of tools is not in PATH. Every test that creates a namespace or
// a TUN device calls it first.
func NeedRoot(t testing.TB, tools ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("creates network namespaces and TUN devices: skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces and TUN devices")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if pkg, ok := debianPackages[tool]; ok {
				t.Skipf("needs %s (apt-get install %s, or make test-deps)", tool, pkg)
			}
			t.Skipf("needs %s in PATH", tool)
		}
	}
}
