package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// procStart returns when the process pid started, in clock ticks since
// boot (field 22 of /proc/PID/stat), and whether it has exited but not yet
// been reaped (a zombie). Together with the PID, the start time names one
// process: a PID the kernel hands out again has another.
func procStart(pid int) (start uint64, zombie bool, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, err
	}
	// The command name, field 2, is in parentheses and may hold anything:
	// the fields after it follow the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3, the state
	if len(f) < 20 {
		return 0, false, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f)+2)
	}
	start, err = strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("/proc/%d/stat: start time: %w", pid, err)
	}
	return start, f[0][0] == 'Z' || f[0][0] == 'X', nil
}

// selfStart is the start time of this process.
func selfStart() uint64 {
	start, _, _ := procStart(os.Getpid())
	return start
}

// ErrGone reports that a record's daemon is gone: its process exited, or
// its PID now names another process.
var ErrGone = errors.New("the topology's daemon is gone")

// openDaemon returns a pidfd of the record's daemon: the process with the
// record's PID and start time, alive. Signals sent through the pidfd reach
// that process or none, even if the PID is reused meanwhile.
func (r Record) openDaemon() (int, error) {
	if r.PID <= 0 {
		return -1, ErrGone
	}
	fd, err := unix.PidfdOpen(r.PID, 0)
	if err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return -1, ErrGone
		}
		return -1, fmt.Errorf("pidfd of pid %d: %w", r.PID, err)
	}
	// The pidfd pins the process: if /proc still shows the start time the
	// record has, the pidfd is of the daemon.
	start, zombie, err := procStart(r.PID)
	if err != nil || zombie || (r.StartTime != 0 && start != r.StartTime) {
		unix.Close(fd)
		return -1, ErrGone
	}
	return fd, nil
}

// Alive reports whether the record's daemon process still runs: the PID is
// alive, not a zombie, and started when the record says (so not a process
// that reused the PID).
func (r Record) Alive() bool {
	fd, err := r.openDaemon()
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// Signal sends sig to the record's daemon, and to no other process: an
// error wrapping ErrGone when it is gone or its PID was reused.
func (r Record) Signal(sig syscall.Signal) error {
	fd, err := r.openDaemon()
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.PidfdSendSignal(fd, sig, nil, 0); err != nil {
		return fmt.Errorf("signal pid %d: %w", r.PID, err)
	}
	return nil
}
