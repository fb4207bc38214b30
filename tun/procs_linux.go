package tun

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

// Processes returns the processes whose network namespace is the named
// one: what `ip netns pids` lists. They keep the namespace alive after
// Delete, in no named namespace, until they exit.
func Processes(name string) ([]int, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	var want syscall.Stat_t
	if err := syscall.Stat(nsPath(name), &want); err != nil {
		return nil, fmt.Errorf("netns %q: %w", name, &os.PathError{Op: "stat", Path: nsPath(name), Err: err})
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat("/proc/"+p.Name()+"/ns/net", &st) == nil && st.Dev == want.Dev && st.Ino == want.Ino {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// EndProcesses ends the processes in the named namespace: SIGTERM, then,
// for those still there after grace, SIGKILL. It returns how many there
// were.
func EndProcesses(name string, grace time.Duration) (int, error) {
	pids, err := Processes(name)
	if err != nil || len(pids) == 0 {
		return 0, err
	}
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for {
		left, err := Processes(name)
		if err != nil {
			return len(pids), err
		}
		if len(left) == 0 {
			return len(pids), nil
		}
		if time.Now().After(deadline) {
			for _, pid := range left {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			return len(pids), nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}
