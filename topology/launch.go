package topology

import (
	"errors"
	"fmt"
)

// The file descriptors a running topology holds in its daemon.
const (
	// DescriptorsPerHost is what each host costs: its TUN device and the
	// eventfd that wakes the host's reader.
	DescriptorsPerHost = 2
	// DescriptorReserve is kept for everything else the daemon opens: its
	// control socket and connections, log, state store, probes and
	// captures.
	DescriptorReserve = 256
)

// ErrDescriptorLimit is returned (wrapped, with the numbers) by
// CheckLaunchable when the process may not open enough files for a
// topology.
var ErrDescriptorLimit = errors.New("file descriptor limit too low")

// Descriptors returns the number of file descriptors a daemon running t
// needs: DescriptorsPerHost for each host and DescriptorReserve.
func Descriptors(t *Topology) int { return t.HostCount()*DescriptorsPerHost + DescriptorReserve }

// CheckLaunchable reports, before anything is created, whether this
// process may open the file descriptors that running t needs (its
// RLIMIT_NOFILE). A Go program raises its soft limit to the hard one when
// it starts, so the error names the value to raise both to.
func CheckLaunchable(t *Topology) error {
	limit, ok := descriptorLimit()
	if !ok {
		return nil
	}
	return checkDescriptors(t, limit)
}

func checkDescriptors(t *Topology, limit uint64) error {
	need := Descriptors(t)
	if uint64(need) <= limit {
		return nil
	}
	return fmt.Errorf("%w: topology %q has %d hosts, which need %d open files (%d per host and %d for the daemon), but this process may open %d (RLIMIT_NOFILE); raise the limit with \"ulimit -n %d\" and launch again",
		ErrDescriptorLimit, t.Name, t.HostCount(), need, DescriptorsPerHost, DescriptorReserve, limit, need)
}
