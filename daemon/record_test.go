package daemon

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/api"
)

func TestAliveKnowsTheDaemonFromOthers(t *testing.T) {
	self := Record{Name: "self", PID: os.Getpid(), StartTime: selfStart()}
	if !self.Alive() {
		t.Errorf("Alive() of this process = false")
	}
	if legacy := (Record{Name: "old", PID: os.Getpid()}); !legacy.Alive() {
		t.Errorf("Alive() of a record without a start time, of a live PID = false")
	}

	// A PID reused by another process: same PID, another start time.
	sleep := exec.Command("sleep", "60")
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer sleep.Process.Kill()
	start, _, err := procStart(sleep.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	reused := Record{Name: "reused", PID: sleep.Process.Pid, StartTime: start + 1}
	if reused.Alive() {
		t.Errorf("Alive() of a record whose PID another process took = true")
	}
	if err := reused.Signal(syscall.SIGTERM); !errors.Is(err, ErrGone) {
		t.Errorf("Signal() to a reused PID = %v, want ErrGone", err)
	}
	if st, _, _ := procStart(sleep.Process.Pid); st != start {
		t.Fatalf("the sleep is gone: Signal reached it")
	}

	// A zombie: exited, not reaped.
	zombie := exec.Command("true")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	defer zombie.Wait()
	zstart, _, err := procStart(zombie.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		if _, z, _ := procStart(zombie.Process.Pid); z {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("true did not exit")
		}
		time.Sleep(time.Millisecond)
	}
	if z := (Record{Name: "z", PID: zombie.Process.Pid, StartTime: zstart}); z.Alive() {
		t.Errorf("Alive() of a zombie = true")
	}
	if gone := (Record{Name: "gone", PID: 0}); gone.Alive() {
		t.Errorf("Alive() of PID 0 = true")
	}
}

func TestReadRecordRefusesWhatIsNotARecord(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(api.RunDirEnv, dir)
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name+".json"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("ok", `{"name": "ok", "pid": 1, "namespaces": ["ok-a1"]}`)
	write("other", `{"name": "ok", "pid": 1}`)
	write("escape", `{"name": "escape", "pid": 1, "namespaces": ["escape-a/../../x"]}`)
	write("foreign", `{"name": "foreign", "pid": 1, "namespaces": ["sshd"]}`)
	if _, err := ReadRecord("ok"); err != nil {
		t.Errorf("ReadRecord(ok) = %v", err)
	}
	for _, name := range []string{"other", "escape", "foreign", "../../etc/passwd", "UPPER", ""} {
		if _, err := ReadRecord(name); err == nil {
			t.Errorf("ReadRecord(%q) = nil error, want it refused", name)
		}
	}
	recs, err := Records()
	if err != nil || len(recs) != 1 || recs[0].Name != "ok" {
		t.Errorf("Records() = %v, %v; want only ok", recs, err)
	}
	if _, err := ReadRecord("../x"); err == nil || !strings.Contains(err.Error(), "invalid topology name") {
		t.Errorf("ReadRecord(../x) = %v, want an invalid name", err)
	}
}
