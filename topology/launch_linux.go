package topology

import "golang.org/x/sys/unix"

// descriptorLimit returns the soft RLIMIT_NOFILE of this process.
func descriptorLimit() (uint64, bool) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0, false
	}
	return rl.Cur, true
}
