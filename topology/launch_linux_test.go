package topology

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestCheckLaunchableReadsRlimit lowers this process's soft RLIMIT_NOFILE
// (no privilege needed) and restores it.
func TestCheckLaunchableReadsRlimit(t *testing.T) {
	var old unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	const low = 300
	if old.Cur < low {
		t.Skipf("RLIMIT_NOFILE is %d already", old.Cur)
	}
	t.Cleanup(func() {
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &old); err != nil {
			t.Errorf("restore RLIMIT_NOFILE: %v", err)
		}
	})
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: low, Max: old.Max}); err != nil {
		t.Fatal(err)
	}
	small := mustParse(t, manyHosts((low-DescriptorReserve)/DescriptorsPerHost))
	if err := CheckLaunchable(small); err != nil {
		t.Errorf("CheckLaunchable(%d hosts) with RLIMIT_NOFILE %d = %v, want nil", small.HostCount(), low, err)
	}
	large := mustParse(t, manyHosts((low-DescriptorReserve)/DescriptorsPerHost+1))
	if err := CheckLaunchable(large); !errors.Is(err, ErrDescriptorLimit) {
		t.Errorf("CheckLaunchable(%d hosts) with RLIMIT_NOFILE %d = %v, want ErrDescriptorLimit", large.HostCount(), low, err)
	}
}
