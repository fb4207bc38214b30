package tuntest_test

import (
	"os"
	"testing"

	"github.com/vpcsim/vpcsim/tun/tuntest"
)

func TestNeedRoot(t *testing.T) {
	ran := false
	t.Run("root", func(t *testing.T) {
		tuntest.NeedRoot(t)
		ran = true
	})
	if want := os.Geteuid() == 0 && !testing.Short(); ran != want {
		t.Errorf("NeedRoot let the test run: %v, want %v (root %v, -short %v)", ran, want, os.Geteuid() == 0, testing.Short())
	}
	ran = false
	t.Run("missing tool", func(t *testing.T) {
		tuntest.NeedRoot(t, "sh", "vpcsim-no-such-tool")
		ran = true
	})
	if ran {
		t.Error("NeedRoot let a test run that needs a tool not in PATH")
	}
}
