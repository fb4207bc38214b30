package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
	"github.com/vpcsim/vpcsim/tun"
)

// Record is what a running topology leaves in the run directory: enough for
// another process to find it, or to remove what it created if it died.
type Record struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	// StartTime is when the daemon process started, in clock ticks since
	// boot: with PID, it tells the daemon from a process that reused its
	// PID. 0 in records of older versions: the PID alone is checked.
	StartTime  uint64    `json:"start_time,omitempty"`
	File       string    `json:"file"`
	Started    time.Time `json:"started"`
	Namespaces []string  `json:"namespaces"`
}

func recordPath(name string) string { return filepath.Join(api.SocketDir(), name+".json") }

func writeRecord(r Record) error {
	if err := os.MkdirAll(api.SocketDir(), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := recordPath(r.Name) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, recordPath(r.Name))
}

// ReadRecord returns the record of the topology name. An invalid name is
// an InvalidParameter; so is a record that is not one this name would
// have made (another name, namespaces not of this topology).
func ReadRecord(name string) (Record, error) {
	var r Record
	if err := topology.CheckName(name); err != nil {
		return r, control.Errorf(control.CodeInvalidParameter, "%v", err)
	}
	b, err := os.ReadFile(recordPath(name))
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("record of topology %q: %w", name, err)
	}
	if r.Name != name {
		return r, fmt.Errorf("record of topology %q names topology %q", name, r.Name)
	}
	for _, ns := range r.Namespaces {
		if !strings.HasPrefix(ns, name+"-") || strings.ContainsAny(ns, "/\x00") || len(ns) > 255 {
			return r, fmt.Errorf("record of topology %q lists namespace %q, which is not one of its hosts'", name, ns)
		}
	}
	return r, nil
}

// Records returns the records in the run directory, sorted by name.
func Records() ([]Record, error) {
	files, err := filepath.Glob(filepath.Join(api.SocketDir(), "*.json"))
	if err != nil {
		return nil, err
	}
	var rs []Record
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		r, err := ReadRecord(name)
		if err != nil {
			continue // gone meanwhile, or not ours
		}
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Name < rs[j].Name })
	return rs, nil
}

// Cleanup removes what the topology of r created: its namespaces, socket and
// record. The daemon must be dead; Cleanup refuses to pull the floor from
// under a live one.
func Cleanup(r Record) (ended int, err error) {
	if r.Alive() && r.PID != os.Getpid() {
		return 0, fmt.Errorf("topology %q is running (pid %d); stop it with \"vpcsim down %s\"", r.Name, r.PID, r.Name)
	}
	var errs []error
	for _, ns := range r.Namespaces {
		n, _ := tun.EndProcesses(ns, EndGrace)
		ended += n
		if err := tun.Delete(ns); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, p := range []string{api.SocketPath(r.Name), recordPath(r.Name)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return ended, errors.Join(errs...)
}

// EndGrace is how long the processes still running in a topology's hosts
// when it goes down get to exit after SIGTERM, before SIGKILL.
const EndGrace = 2 * time.Second

// LogPath returns the log file of the detached daemon of the topology
// name, beside its record. It outlives a daemon that dies, for the
// post-mortem; vpcsim down removes it with the topology.
func LogPath(name string) string { return filepath.Join(api.SocketDir(), name+".log") }

// MaxLogSize is how large a daemon's log grows before the next daemon of
// the topology starts a new one, keeping the old as LOG.1.
const MaxLogSize = 16 << 20

// OpenLog opens the log file of the topology name for appending,
// rotating it first when it passed MaxLogSize.
func OpenLog(name string) (*os.File, error) {
	path := LogPath(name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(path); err == nil && fi.Size() > MaxLogSize {
		os.Rename(path, path+".1")
	}
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
}
