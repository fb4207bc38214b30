package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/store"
	"github.com/vpcsim/vpcsim/topology"
)

// StateDir is where topologies keep their saved control state, a directory
// per topology holding state.db, so that a topology outlives its daemon:
// `vpcsim up -d FILE` resumes it after a crash or a reboot.
const StateDir = "/var/lib/vpcsim"

// storeHistory is how many commits a state file remembers for watchers
// (vpcsim events -f): they read the journal first and then follow it, so
// a short history does; a long one would only grow the file.
const storeHistory = 1000

// StateDirEnv names the environment variable that overrides StateDir.
const StateDirEnv = "VPCSIM_STATE_DIR"

// stateRoot returns $VPCSIM_STATE_DIR when set, else StateDir.
func stateRoot() string {
	if d := os.Getenv(StateDirEnv); d != "" {
		return d
	}
	return StateDir
}

// StatePath returns the state file of the topology name.
func StatePath(name string) string { return filepath.Join(stateRoot(), name, "state.db") }

// RemoveState forgets the saved state of the topology name. Its daemon
// must be gone: the state file of a running daemon is locked, and removed
// from under it only by mistake. A state that is not there is no error.
func RemoveState(name string) error {
	if err := topology.CheckName(name); err != nil {
		return control.Errorf(control.CodeInvalidParameter, "%v", err)
	}
	if err := os.RemoveAll(filepath.Dir(StatePath(name))); err != nil {
		return fmt.Errorf("remove the saved state of topology %q: %w", name, err)
	}
	return nil
}

// SavedStates returns the names of the topologies with a saved state,
// sorted.
func SavedStates() ([]string, error) {
	dirs, err := os.ReadDir(stateRoot())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, d := range dirs {
		if topology.CheckName(d.Name()) != nil {
			continue // not ours
		}
		if _, err := os.Stat(StatePath(d.Name())); err == nil {
			names = append(names, d.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// openState opens the state file of t, taking its lock for the daemon's
// life: a live daemon of the topology holds it, and the launch is
// AlreadyRunning. With reset, what the file held is discarded. It reports
// whether the file holds a state to resume, made from t's file (else
// StateMismatch).
func openState(t *topology.Topology, reset bool) (st store.Store, resume bool, err error) {
	path := StatePath(t.Name)
	b, err := store.Config{History: storeHistory}.OpenBolt(path)
	if errors.Is(err, store.ErrLocked) {
		return nil, false, control.Errorf(control.CodeAlreadyRunning, "topology %q is already running: another process holds %s", t.Name, path)
	}
	if errors.Is(err, store.ErrCorrupt) {
		return nil, false, control.Errorf(control.CodeStateMismatch, "the saved state of topology %q in %s is damaged (%v): start from the file with --reset", t.Name, path, err)
	}
	if err != nil {
		return nil, false, fmt.Errorf("open the state of topology %q: %w", t.Name, err)
	}
	defer func() {
		if err != nil {
			b.Close()
		}
	}()
	if reset {
		if err := wipe(b); err != nil {
			return nil, false, fmt.Errorf("reset the state of topology %q: %w", t.Name, err)
		}
	}
	resume, err = control.Saved(b, t)
	if err != nil {
		return nil, false, err
	}
	return b, resume, nil
}

// wipe deletes every key of st in one commit.
func wipe(st store.Store) error {
	kvs, _, err := st.Range("")
	if err != nil || len(kvs) == 0 {
		return err
	}
	ops := make([]store.Op, len(kvs))
	for i, kv := range kvs {
		ops[i] = store.Delete(kv.Key)
	}
	_, err = st.Commit(ops...)
	return err
}
