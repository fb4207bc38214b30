//go:build !linux

package topology

// descriptorLimit reports no limit: topologies launch on Linux only.
func descriptorLimit() (uint64, bool) { return 0, false }
