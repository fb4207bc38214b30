package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// newBolt opens a Bolt at a new path under t's temporary directory,
// closed when t ends.
func newBolt(t testing.TB, c Config) (*Bolt, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state.db")
	b, err := c.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, path
}

// reopen closes b and opens its file again.
func reopen(t testing.TB, b *Bolt, path string, c Config) *Bolt {
	t.Helper()
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	b, err := c.OpenBolt(path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestBoltCreates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lib", "topo", "state.db")
	b, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{
		{filepath.Dir(path), 0o700 | os.ModeDir},
		{path, 0o600},
	} {
		fi, err := os.Stat(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != f.mode {
			t.Errorf("%s: mode %v, want %v", f.path, fi.Mode(), f.mode)
		}
	}
}

func TestBoltReopen(t *testing.T) {
	b, path := newBolt(t, Config{})
	commit(t, b, Put("/peerings/pcx-1", []byte("pending")), Put("/ids/next", []byte{1}))
	commit(t, b, Put("/peerings/pcx-1", []byte("active")), Put("/routes/r1", []byte("10.0.0.0/16")))
	commit(t, b, Delete("/routes/r1"))
	wantKV, wantRev, _ := b.Range("")
	var wantEvs []Event
	ch, _ := b.Watch(t.Context(), "", 0)
	for range 3 {
		wantEvs = append(wantEvs, recv(t, ch))
	}

	b = reopen(t, b, path, Config{})
	if r := b.Revision(); r != 3 {
		t.Errorf("Revision() after reopen = %d, want 3", r)
	}
	wantKVs(t, b, "", wantRev, wantKV)
	// The history survives too, times and all.
	ch, err := b.Watch(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var gotEvs []Event
	for range 3 {
		gotEvs = append(gotEvs, recv(t, ch))
	}
	if diff := cmp.Diff(wantEvs, gotEvs); diff != "" {
		t.Errorf("history after reopen (-want +got):\n%s", diff)
	}
	if rev := commit(t, b, Put("/ids/next", []byte{2})); rev != 4 {
		t.Errorf("first Commit after reopen = %d, want 4", rev)
	}
	wantEvents(t, ch, ev(4, Put("/ids/next", []byte{2})))
}

// TestBoltAbort fails a commit inside its transaction, after some of its
// ops were applied, and checks that none of them stays.
func TestBoltAbort(t *testing.T) {
	b, path := newBolt(t, Config{})
	commit(t, b, Put("/a", []byte("1")), Put("/b", []byte("1")))
	ch, _ := b.Watch(t.Context(), "", 1)
	disk := errors.New("disk on fire")
	b.failApply = func(i int) error {
		if i == 2 {
			return disk
		}
		return nil
	}
	rev, err := b.Commit(Put("/a", []byte("2")), Delete("/b"), Put("/c", []byte("2")))
	if !errors.Is(err, disk) || rev != 0 {
		t.Fatalf("Commit = %d, %v; want 0 and the injected error", rev, err)
	}
	b.failApply = nil
	want := []KV{{Key: "/a", Value: []byte("1"), Revision: 1}, {Key: "/b", Value: []byte("1"), Revision: 1}}
	wantKVs(t, b, "", 1, want)
	if r := b.Revision(); r != 1 {
		t.Errorf("Revision() = %d, want 1", r)
	}
	wantQuiet(t, ch)
	b = reopen(t, b, path, Config{})
	wantKVs(t, b, "", 1, want)
	if rev := commit(t, b, Put("/c", []byte("3"))); rev != 2 {
		t.Errorf("next Commit = %d, want 2", rev)
	}
}

func TestBoltHistoryShrinks(t *testing.T) {
	b, path := newBolt(t, Config{History: 100})
	for i := range 50 {
		commit(t, b, Put("/k", []byte{byte(i)}))
	}
	if _, err := b.Watch(t.Context(), "", 0); err != nil {
		t.Fatalf("Watch from 0 with 50 of 100 remembered: %v", err)
	}
	b = reopen(t, b, path, Config{History: 10})
	if _, err := b.Watch(t.Context(), "", 39); !errors.Is(err, ErrCompacted) {
		t.Errorf("Watch from 39 with the last 10 of 50 remembered: %v, want ErrCompacted", err)
	}
	ch, err := b.Watch(t.Context(), "", 40)
	if err != nil {
		t.Fatalf("Watch from 40: %v", err)
	}
	if e := recv(t, ch); e.Revision != 41 {
		t.Errorf("first event from 40 = %d, want 41", e.Revision)
	}
}

func TestBoltLockedInProcess(t *testing.T) {
	b, path := newBolt(t, Config{})
	start := time.Now()
	b2, err := OpenBolt(path)
	if !errors.Is(err, ErrLocked) {
		if b2 != nil {
			b2.Close()
		}
		t.Fatalf("second OpenBolt: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("second OpenBolt took %v to fail, want under 100ms", d)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
	// The failed open leaves the first store working, and Close lets the
	// next one in.
	commit(t, b, Put("/a", nil))
	b.Close()
	b2, err = OpenBolt(path)
	if err != nil {
		t.Fatalf("OpenBolt after Close: %v", err)
	}
	b2.Close()
}

// The lock across processes: the test binary runs itself as a holder
// (TestHelperHolder) that opens the store, commits, says "holding" and
// keeps the store open until its stdin closes. It exits 3 when the store
// is locked.

const holderEnv = "VPCSIM_STORE_HOLDER"

func TestHelperHolder(t *testing.T) {
	path := os.Getenv(holderEnv)
	if path == "" {
		t.Skip("runs only as the holder process of the lock tests")
	}
	b, err := OpenBolt(path)
	if errors.Is(err, ErrLocked) {
		fmt.Println("locked:", err)
		os.Exit(3)
	}
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if _, err := b.Commit(Put("/holder", []byte(fmt.Sprint(os.Getpid())))); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("holding")
	io.Copy(io.Discard, os.Stdin)
	b.Close()
	os.Exit(0)
}

// holder starts the test binary as a holder of the store at path.
func holder(t *testing.T, path string) (*exec.Cmd, io.WriteCloser, *bufio.Reader) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHolder$", "-test.count=1")
	cmd.Env = append(os.Environ(), holderEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, stdin, bufio.NewReader(stdout)
}

func TestBoltLockedAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")

	// Another process holds the store: this one cannot open it, at once.
	cmd, _, out := holder(t, path)
	if line, err := out.ReadString('\n'); line != "holding\n" {
		t.Fatalf("holder said %q, %v; want holding", line, err)
	}
	start := time.Now()
	if b, err := OpenBolt(path); !errors.Is(err, ErrLocked) {
		if b != nil {
			b.Close()
		}
		t.Fatalf("OpenBolt while another process holds it: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("OpenBolt took %v to fail, want under 100ms", d)
	}

	// The holder is killed, as a daemon may be: the kernel drops its lock,
	// and what it committed is there.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	b, err := OpenBolt(path)
	if err != nil {
		t.Fatalf("OpenBolt after the holder was killed: %v", err)
	}
	if v, ok, err := b.Get("/holder"); !ok || err != nil || string(v) != fmt.Sprint(cmd.Process.Pid) {
		t.Errorf("Get(/holder) = %q, %t, %v; want the holder's pid %d", v, ok, err, cmd.Process.Pid)
	}

	// This process holds it: another cannot open it.
	cmd2, stdin, out := holder(t, path)
	line, _ := out.ReadString('\n')
	stdin.Close()
	err = cmd2.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 || !strings.HasPrefix(line, "locked:") {
		t.Errorf("holder with the store open here: %q, %v; want exit 3 and locked", line, err)
	}
	b.Close()

	// Closed here, it opens there.
	cmd3, stdin, out := holder(t, path)
	if line, err := out.ReadString('\n'); line != "holding\n" {
		t.Fatalf("holder after Close said %q, %v; want holding", line, err)
	}
	stdin.Close()
	if err := cmd3.Wait(); err != nil {
		t.Errorf("holder: %v", err)
	}
}

// TestBoltCorrupt opens files that are not stores, or damaged ones: each
// gives an error wrapping ErrCorrupt, never a panic, and leaves the file
// unlocked.
func TestBoltCorrupt(t *testing.T) {
	random := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(11, 0))
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	tests := []struct {
		name string
		make func(t *testing.T, path string)
	}{
		{"text", writeFile(bytes.Repeat([]byte("name: hub\nvpcs:\n  - name: a\n"), 400))},
		{"short", writeFile([]byte("hello"))},
		{"zeros", writeFile(make([]byte, 64<<10))},
		{"random", writeFile(random)},
		{"truncated", func(t *testing.T, path string) {
			makeStore(t, path, 100)
			if err := os.Truncate(path, 4096); err != nil {
				t.Fatal(err)
			}
		}},
		{"meta pages", func(t *testing.T, path string) {
			makeStore(t, path, 100)
			overwrite(t, path, 0, bytes.Repeat([]byte{0xa5}, 2*4096))
		}},
		{"every page past the meta", func(t *testing.T, path string) {
			makeStore(t, path, 100)
			fi, _ := os.Stat(path)
			overwrite(t, path, 2*4096, bytes.Repeat([]byte{0xff}, int(fi.Size())-2*4096))
		}},
		{"leaf pages", func(t *testing.T, path string) {
			makeStore(t, path, 100)
			for _, id := range pagesOfType(t, path, "leaf") {
				overwrite(t, path, int64(id)*4096+16, random[:4096-16])
			}
		}},
		{"branch and leaf headers", func(t *testing.T, path string) {
			makeStore(t, path, 300)
			ids := append(pagesOfType(t, path, "branch"), pagesOfType(t, path, "leaf")...)
			for _, id := range ids {
				// A page header: id (8), flags (2), count (2), overflow (4).
				overwrite(t, path, int64(id)*4096+8, []byte{0x02, 0x00, 0xff, 0xff, 0, 0, 0, 0})
			}
		}},
		{"another program's", rawBolt(func(tx *bolt.Tx) error {
			_, err := tx.CreateBucket([]byte("widgets"))
			return err
		})},
		{"another format", rawBolt(func(tx *bolt.Tx) error {
			m, err := tx.CreateBucket(bucketMeta)
			if err != nil {
				return err
			}
			return m.Put(metaFormat, []byte("vpcsim-store/9"))
		})},
		{"log record", func(t *testing.T, path string) {
			makeStore(t, path, 5)
			rawBolt(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketLog).Put(revKey(5), []byte{recordVersion, 1, 2, 3})
			})(t, path)
		}},
		{"log gap", func(t *testing.T, path string) {
			makeStore(t, path, 5)
			rawBolt(func(tx *bolt.Tx) error { return tx.Bucket(bucketLog).Delete(revKey(3)) })(t, path)
		}},
		{"value record", func(t *testing.T, path string) {
			makeStore(t, path, 5)
			rawBolt(func(tx *bolt.Tx) error { return tx.Bucket(bucketKV).Put([]byte("/k/1"), []byte{0, 1}) })(t, path)
		}},
		{"value from the future", func(t *testing.T, path string) {
			makeStore(t, path, 5)
			rawBolt(func(tx *bolt.Tx) error {
				return tx.Bucket(bucketKV).Put([]byte("/k/1"), encodeValue(6, nil))
			})(t, path)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(tmpfsDir(t), "state.db")
			tt.make(t, path)
			b, err := OpenBolt(path)
			if err == nil {
				b.Close()
				t.Fatal("OpenBolt: no error")
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("OpenBolt: %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			t.Logf("OpenBolt: %v", err)
			wantUnlocked(t, path)
		})
	}
}

// writeFile returns a maker of a file holding data.
func writeFile(data []byte) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// makeStore makes a store at path with n commits of a key each.
func makeStore(t *testing.T, path string, n int) {
	t.Helper()
	b, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range n {
		commit(t, b, Put(fmt.Sprintf("/k/%d", i), bytes.Repeat([]byte{'v'}, 100)))
	}
}

// rawBolt returns a function that runs fn on the bbolt file at path,
// bypassing the store's checks.
func rawBolt(fn func(*bolt.Tx) error) func(*testing.T, string) {
	return func(t *testing.T, path string) {
		t.Helper()
		db, err := bolt.Open(path, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
}

// pagesOfType returns the ids of the pages of type typ ("leaf", "branch")
// in the bbolt file at path.
func pagesOfType(t *testing.T, path, typ string) []int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ids []int
	db.View(func(tx *bolt.Tx) error {
		for id := 0; ; id++ {
			p, err := tx.Page(id)
			if err != nil || p == nil {
				return nil
			}
			if p.Type == typ {
				ids = append(ids, id)
			}
		}
	})
	if len(ids) == 0 {
		t.Fatalf("no %s pages in %s", typ, path)
	}
	return ids
}

// overwrite writes data over the file at path from offset off.
func overwrite(t *testing.T, path string, off int64, data []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(data, off); err != nil {
		t.Fatal(err)
	}
}

// wantUnlocked fails t if a lock on the file at path is still held.
func wantUnlocked(t *testing.T, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Errorf("the file is still locked after the failed open: %v", err)
	}
}

// tmpfsDir returns a new directory on tmpfs when there is one, to spare a
// test of the file's layout the fsyncs, which do not change it; else one
// under t's temporary directory.
func tmpfsDir(t *testing.T) string {
	t.Helper()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		if d, err := os.MkdirTemp("/dev/shm", "store-test-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			return d
		}
	}
	return t.TempDir()
}

// fileSize returns the size of the file at path.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// routeKey returns the key of the i-th of many routes, spread over 16
// tables, and routeValue a value of a route's size.
func routeKey(i int) string {
	return fmt.Sprintf("/routes/rtb-%04x/10.%d.%d.0-24", i%16, i/256%256, i%256)
}

var routeValue = []byte(`{"destination":"10.1.2.0/24","target":"pcx-1a2b3c4d","origin":"CreateRoute","state":"active"}`)

// TestBoltSize makes 10,000 commits that each put a route, then deletes
// 9,000 of them one commit each, with the default history: the file must
// stay small. Under -short or -race it does a tenth of that.
func TestBoltSize(t *testing.T) {
	n := 10_000
	if testing.Short() || raceEnabled {
		n = 1_000 // the layout is the same at a tenth of the scale
	}
	path := filepath.Join(tmpfsDir(t), "state.db")
	b, err := OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range n {
		commit(t, b, Put(routeKey(i), routeValue))
	}
	afterPuts := fileSize(t, path)
	for i := range n - n/10 {
		commit(t, b, Delete(routeKey(i)))
	}
	afterDeletes := fileSize(t, path)
	var used int64
	b.db.View(func(tx *bolt.Tx) error { used = tx.Size(); return nil })
	t.Logf("file: %d KiB after %d puts, %d KiB after %d deletes (revision %d, %d commits remembered, %d KiB below the high-water mark)",
		afterPuts>>10, n, afterDeletes>>10, n-n/10, b.Revision(), DefaultHistory, used>>10)
	if limit := int64(8 << 20); afterDeletes > limit {
		t.Errorf("file is %d bytes, want at most %d", afterDeletes, limit)
	}
	if kvs, _, _ := b.Range(""); len(kvs) != n/10 {
		t.Errorf("%d keys left, want %d", len(kvs), n/10)
	}
}

// TestBoltSizeBounded churns with the history full: each commit forgets
// one, so the data must hold still whatever the number of commits.
func TestBoltSizeBounded(t *testing.T) {
	path := filepath.Join(tmpfsDir(t), "state.db")
	b, err := Config{History: 100}.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	churn := func(from, n int) {
		for i := from; i < from+n; i += 2 {
			commit(t, b, Put(routeKey(i), routeValue))
			commit(t, b, Delete(routeKey(i)))
		}
	}
	// used returns the bytes below the high-water mark, and the commits
	// the log holds.
	used := func() (size int64, logged int) {
		b.db.View(func(tx *bolt.Tx) error {
			size, logged = tx.Size(), tx.Bucket(bucketLog).Stats().KeyN
			return nil
		})
		return size, logged
	}
	churn(0, 500)
	full, _ := used()
	churn(500, 2_000)
	// Without compaction the 2,000 commits would take some 80 pages.
	got, logged := used()
	if got > full+4*4096 {
		t.Errorf("data grew from %d to %d bytes over 2000 commits with the history full", full, got)
	}
	if logged != 100 {
		t.Errorf("log holds %d commits, want 100", logged)
	}
	t.Logf("%d bytes used after 500 commits, %d after 2500; file %d bytes", full, got, fileSize(t, path))
}
