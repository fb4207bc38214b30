package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The conformance suite: every Store runs the same tests, so Memory can
// stand in for Bolt in the tests of its users, and an etcd backend would
// be held to the same contract.

// opener returns a new, empty store configured by c, closed when t ends.
type opener func(t testing.TB, c Config) Store

func openMemory(t testing.TB, c Config) Store {
	t.Helper()
	m, err := c.NewMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func openBolt(t testing.TB, c Config) Store {
	t.Helper()
	b, err := c.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestMemory(t *testing.T) { testStore(t, openMemory) }
func TestBolt(t *testing.T)   { testStore(t, openBolt) }

func testStore(t *testing.T, open opener) {
	tests := []struct {
		name string
		f    func(*testing.T, opener)
	}{
		{"Empty", testEmpty},
		{"PutGet", testPutGet},
		{"Revisions", testRevisions},
		{"Atomic", testAtomic},
		{"InvalidKeys", testInvalidKeys},
		{"Delete", testDelete},
		{"Range", testRange},
		{"Copies", testCopies},
		{"WatchFrom", testWatchFrom},
		{"WatchPrefix", testWatchPrefix},
		{"WatchFuture", testWatchFuture},
		{"Compacted", testCompacted},
		{"FallBehind", testFallBehind},
		{"WatchCancel", testWatchCancel},
		{"Close", testClose},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.f(t, open)
		})
	}
}

// commit commits ops and fails t on an error.
func commit(t testing.TB, s Store, ops ...Op) int64 {
	t.Helper()
	rev, err := s.Commit(ops...)
	if err != nil {
		t.Fatalf("Commit(%v): %v", ops, err)
	}
	return rev
}

// wantKVs fails t unless Range(prefix) returns want at revision rev.
func wantKVs(t testing.TB, s Store, prefix string, rev int64, want []KV) {
	t.Helper()
	got, gotRev, err := s.Range(prefix)
	if err != nil {
		t.Fatalf("Range(%q): %v", prefix, err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Range(%q) (-want +got):\n%s", prefix, diff)
	}
	if gotRev != rev {
		t.Errorf("Range(%q) revision = %d, want %d", prefix, gotRev, rev)
	}
}

// wantGet fails t unless Get(key) returns value, or not ok for a nil
// value.
func wantGet(t testing.TB, s Store, key string, value []byte) {
	t.Helper()
	got, ok, err := s.Get(key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if ok != (value != nil) || string(got) != string(value) {
		t.Errorf("Get(%q) = %q, %t; want %q, %t", key, got, ok, value, value != nil)
	}
}

const waitLong = 5 * time.Second

// recv returns the next event on ch, failing t if none comes or ch is
// closed.
func recv(t testing.TB, ch <-chan Event) Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed, want an event")
		}
		return ev
	case <-time.After(waitLong):
		t.Fatal("no event within", waitLong)
	}
	return Event{}
}

// wantEvents fails t unless the next events on ch have the revisions and
// ops of want (times are not compared).
func wantEvents(t testing.TB, ch <-chan Event, want ...Event) {
	t.Helper()
	var got []Event
	for range want {
		got = append(got, recv(t, ch))
	}
	opt := cmpopts.IgnoreFields(Event{}, "Time")
	if diff := cmp.Diff(want, got, opt, cmpopts.EquateErrors()); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// wantQuiet fails t if ch delivers anything for a short while.
func wantQuiet(t testing.TB, ch <-chan Event) {
	t.Helper()
	select {
	case ev, ok := <-ch:
		t.Errorf("got event %+v (open %t), want none", ev, ok)
	case <-time.After(50 * time.Millisecond):
	}
}

// wantClosed fails t unless ch is closed, after any events still in it.
func wantClosed(t testing.TB, ch <-chan Event) {
	t.Helper()
	deadline := time.After(waitLong)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("watch channel still open after", waitLong)
		}
	}
}

func ev(rev int64, ops ...Op) Event { return Event{Revision: rev, Ops: ops} }

func testEmpty(t *testing.T, open opener) {
	s := open(t, Config{})
	if r := s.Revision(); r != 0 {
		t.Errorf("Revision() = %d, want 0", r)
	}
	wantGet(t, s, "/a", nil)
	wantKVs(t, s, "", 0, nil)
	if r := commit(t, s); r != 0 {
		t.Errorf("Commit() = %d, want 0", r)
	}
	if r := s.Revision(); r != 0 {
		t.Errorf("after Commit(): Revision() = %d, want 0", r)
	}
}

func testPutGet(t *testing.T, open opener) {
	s := open(t, Config{})
	rev := commit(t, s, Put("/a", []byte("1")), Put("/b", []byte{}))
	if rev != 1 {
		t.Fatalf("first Commit = %d, want 1", rev)
	}
	wantGet(t, s, "/a", []byte("1"))
	wantGet(t, s, "/b", []byte{})
	wantGet(t, s, "/c", nil)
	commit(t, s, Put("/a", []byte("2")))
	wantGet(t, s, "/a", []byte("2"))
	wantKVs(t, s, "", 2, []KV{
		{Key: "/a", Value: []byte("2"), Revision: 2},
		{Key: "/b", Value: []byte{}, Revision: 1},
	})
}

func testRevisions(t *testing.T, open opener) {
	s := open(t, Config{})
	for want := int64(1); want <= 20; want++ {
		got := commit(t, s, Put(fmt.Sprintf("/k/%d", want%3), []byte("v")))
		if got != want {
			t.Fatalf("Commit #%d = %d", want, got)
		}
		if r := s.Revision(); r != want {
			t.Fatalf("after Commit #%d: Revision() = %d", want, r)
		}
	}
	// Each key carries the revision that last set it: 18, 19, 20.
	wantKVs(t, s, "/k/", 20, []KV{
		{Key: "/k/0", Value: []byte("v"), Revision: 18},
		{Key: "/k/1", Value: []byte("v"), Revision: 19},
		{Key: "/k/2", Value: []byte("v"), Revision: 20},
	})
}

func testAtomic(t *testing.T, open opener) {
	s := open(t, Config{})
	commit(t, s, Put("/a", []byte("1")))
	bad := [][]Op{
		{Put("/a", []byte("2")), Put("", []byte("x"))},
		{Put("/a", []byte("2")), Put("/b", nil), Delete("/a")},
		{Delete("/a"), Put("/"+strings.Repeat("k", MaxKeyLen), nil)},
	}
	for _, ops := range bad {
		if rev, err := s.Commit(ops...); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Commit(%v) = %d, %v; want ErrInvalidKey", ops, rev, err)
		}
	}
	wantKVs(t, s, "", 1, []KV{{Key: "/a", Value: []byte("1"), Revision: 1}})
}

func testInvalidKeys(t *testing.T, open opener) {
	s := open(t, Config{})
	long := strings.Repeat("k", MaxKeyLen+1)
	for _, key := range []string{"", long} {
		if _, _, err := s.Get(key); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Get(%.10q) error = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Commit(Put(key, nil)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Commit(Put(%.10q)) error = %v, want ErrInvalidKey", key, err)
		}
		if _, err := s.Commit(Delete(key)); !errors.Is(err, ErrInvalidKey) {
			t.Errorf("Commit(Delete(%.10q)) error = %v, want ErrInvalidKey", key, err)
		}
	}
	// The longest key is fine.
	max := strings.Repeat("k", MaxKeyLen)
	commit(t, s, Put(max, []byte("v")))
	wantGet(t, s, max, []byte("v"))
	if _, err := s.Watch(t.Context(), "", -1); err == nil {
		t.Error("Watch from revision -1: no error")
	}
}

func testDelete(t *testing.T, open opener) {
	s := open(t, Config{})
	ch, err := s.Watch(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, Put("/a", []byte("1")), Put("/b", []byte("2")))
	if rev := commit(t, s, Delete("/a")); rev != 2 {
		t.Errorf("Commit(Delete(/a)) = %d, want 2", rev)
	}
	wantGet(t, s, "/a", nil)
	wantGet(t, s, "/b", []byte("2"))
	// A delete of a key that is not set changes nothing: no revision, no
	// event, and it is left out of a commit that changes something else.
	if rev := commit(t, s, Delete("/a"), Delete("/never")); rev != 2 {
		t.Errorf("Commit of deletes of unset keys = %d, want 2 (unchanged)", rev)
	}
	if rev := commit(t, s, Delete("/nope"), Put("/c", []byte("3"))); rev != 3 {
		t.Errorf("Commit(Delete(/nope), Put(/c)) = %d, want 3", rev)
	}
	// Deleting and putting again starts the key afresh.
	commit(t, s, Put("/a", []byte("again")))
	wantKVs(t, s, "", 4, []KV{
		{Key: "/a", Value: []byte("again"), Revision: 4},
		{Key: "/b", Value: []byte("2"), Revision: 1},
		{Key: "/c", Value: []byte("3"), Revision: 3},
	})
	// A delete given a value is a delete.
	commit(t, s, Op{Key: "/b", Value: []byte("ignored"), Delete: true})
	wantGet(t, s, "/b", nil)
	wantEvents(t, ch,
		ev(1, Put("/a", []byte("1")), Put("/b", []byte("2"))),
		ev(2, Delete("/a")),
		ev(3, Put("/c", []byte("3"))),
		ev(4, Put("/a", []byte("again"))),
		ev(5, Delete("/b")),
	)
	wantQuiet(t, ch)
}

func testRange(t *testing.T, open opener) {
	s := open(t, Config{})
	keys := []string{"/b", "/a/2", "/ab", "/a/1", "/a/10", "/a", "/a/1/x", "z"}
	for _, k := range keys {
		commit(t, s, Put(k, []byte(k)))
	}
	kv := func(k string, rev int64) KV { return KV{Key: k, Value: []byte(k), Revision: rev} }
	tests := []struct {
		prefix string
		want   []KV
	}{
		{"", []KV{kv("/a", 6), kv("/a/1", 4), kv("/a/1/x", 7), kv("/a/10", 5), kv("/a/2", 2), kv("/ab", 3), kv("/b", 1), kv("z", 8)}},
		{"/a/", []KV{kv("/a/1", 4), kv("/a/1/x", 7), kv("/a/10", 5), kv("/a/2", 2)}},
		{"/a/1", []KV{kv("/a/1", 4), kv("/a/1/x", 7), kv("/a/10", 5)}},
		{"/a", []KV{kv("/a", 6), kv("/a/1", 4), kv("/a/1/x", 7), kv("/a/10", 5), kv("/a/2", 2), kv("/ab", 3)}},
		{"/b", []KV{kv("/b", 1)}},
		{"/c", nil},
		{"/a/1/x/", nil},
		{"zz", nil},
	}
	for _, tt := range tests {
		wantKVs(t, s, tt.prefix, 8, tt.want)
	}
}

func testCopies(t *testing.T, open opener) {
	s := open(t, Config{})
	ch, err := s.Watch(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	in := []byte("value")
	commit(t, s, Put("/a", in))
	in[0] = 'X' // the caller may reuse its buffer
	got, _, _ := s.Get("/a")
	got[0] = 'Y'
	kvs, _, _ := s.Range("")
	kvs[0].Value[0] = 'Z'
	e := recv(t, ch)
	e.Ops[0].Value[0] = 'W'
	wantGet(t, s, "/a", []byte("value"))
	// A second watcher sees the original, not the first one's change.
	ch2, err := s.Watch(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, ch2, ev(1, Put("/a", []byte("value"))))
}

func testWatchFrom(t *testing.T, open opener) {
	s := open(t, Config{})
	for i := 1; i <= 5; i++ {
		commit(t, s, Put("/k", []byte{byte(i)}))
	}
	froms := []int64{0, 2, 5}
	var watches []<-chan Event
	for _, rev := range froms {
		ch, err := s.Watch(t.Context(), "", rev)
		if err != nil {
			t.Fatalf("Watch from %d: %v", rev, err)
		}
		watches = append(watches, ch)
	}
	for i, ch := range watches {
		var want []Event
		for r := froms[i] + 1; r <= 5; r++ {
			want = append(want, ev(r, Put("/k", []byte{byte(r)})))
		}
		wantEvents(t, ch, want...)
		wantQuiet(t, ch)
	}
	// Then the live commits, in order, to every watch, each with the time
	// it was made.
	before := time.Now()
	commit(t, s, Put("/live", []byte("x")))
	commit(t, s, Delete("/live"))
	after := time.Now()
	for _, ch := range watches {
		e6, e7 := recv(t, ch), recv(t, ch)
		wantEvents(t, chanOf(e6, e7), ev(6, Put("/live", []byte("x"))), ev(7, Delete("/live")))
		for _, e := range []Event{e6, e7} {
			if e.Time.Before(before) || e.Time.After(after) {
				t.Errorf("event %d made at %v, want between %v and %v", e.Revision, e.Time, before, after)
			}
		}
	}
}

// chanOf returns a closed channel holding evs.
func chanOf(evs ...Event) <-chan Event {
	ch := make(chan Event, len(evs))
	for _, e := range evs {
		ch <- e
	}
	close(ch)
	return ch
}

func testWatchPrefix(t *testing.T, open opener) {
	s := open(t, Config{})
	ch, err := s.Watch(t.Context(), "/a/", 0)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, Put("/a/1", []byte("x")), Put("/b", []byte("y")), Put("/a", []byte("z")))
	commit(t, s, Put("/b", []byte("only b")))
	commit(t, s, Put("/ab", []byte("not under /a/")))
	commit(t, s, Delete("/b"), Delete("/a/1"), Put("/a/2", []byte("w")))
	wantEvents(t, ch,
		ev(1, Put("/a/1", []byte("x"))),
		ev(4, Delete("/a/1"), Put("/a/2", []byte("w"))),
	)
	wantQuiet(t, ch)
}

func testWatchFuture(t *testing.T, open opener) {
	s := open(t, Config{})
	ch, err := s.Watch(t.Context(), "", 2)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		commit(t, s, Put("/k", []byte{byte(i)}))
	}
	wantEvents(t, ch, ev(3, Put("/k", []byte{3})))
	wantQuiet(t, ch)
}

func testCompacted(t *testing.T, open opener) {
	s := open(t, Config{History: 3})
	for i := 1; i <= 5; i++ {
		commit(t, s, Put("/k", []byte{byte(i)}))
	}
	// Remembered: 3, 4, 5. A watch from 2 misses nothing; from 1 it
	// would miss 2.
	for _, rev := range []int64{0, 1} {
		if _, err := s.Watch(t.Context(), "", rev); !errors.Is(err, ErrCompacted) {
			t.Errorf("Watch from %d: error = %v, want ErrCompacted", rev, err)
		}
	}
	ch, err := s.Watch(t.Context(), "", 2)
	if err != nil {
		t.Fatalf("Watch from 2: %v", err)
	}
	wantEvents(t, ch, ev(3, Put("/k", []byte{3})), ev(4, Put("/k", []byte{4})), ev(5, Put("/k", []byte{5})))
	// Compaction forgets commits, not keys.
	wantGet(t, s, "/k", []byte{5})
}

func testFallBehind(t *testing.T, open opener) {
	s := open(t, Config{History: 3})
	ch, err := s.Watch(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	// More commits than the channel, a read batch and the history can
	// hold, while nobody reads.
	n := watchBuffer + watchBatch + 3 + 10
	for i := 1; i <= n; i++ {
		commit(t, s, Put("/k", []byte{byte(i)}))
	}
	var next int64 = 1
	for {
		e := recv(t, ch)
		if e.Err != nil {
			if !errors.Is(e.Err, ErrCompacted) {
				t.Errorf("last event Err = %v, want ErrCompacted", e.Err)
			}
			if e.Revision != 0 || e.Ops != nil {
				t.Errorf("error event = %+v, want only Err", e)
			}
			break
		}
		if e.Revision != next {
			t.Fatalf("event revision %d, want %d: a gap instead of ErrCompacted", e.Revision, next)
		}
		next++
	}
	if next > int64(n) {
		t.Errorf("got every commit and then ErrCompacted")
	}
	wantClosed(t, ch)
}

func testWatchCancel(t *testing.T, open opener) {
	s := open(t, Config{})
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := s.Watch(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Watch(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, s, Put("/a", nil))
	wantEvents(t, ch, ev(1, Put("/a", []byte{})))
	cancel()
	wantClosed(t, ch)
	// The other watch goes on.
	commit(t, s, Put("/b", nil))
	wantEvents(t, other, ev(1, Put("/a", []byte{})), ev(2, Put("/b", []byte{})))
	// A watcher that stopped reading is ended by its context too.
	ctx, cancel = context.WithCancel(t.Context())
	stuck, err := s.Watch(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for range watchBuffer + 5 {
		commit(t, s, Put("/c", nil))
	}
	cancel()
	wantClosed(t, stuck)
}

func testClose(t *testing.T, open opener) {
	s := open(t, Config{})
	commit(t, s, Put("/a", []byte("1")))
	idle, err := s.Watch(t.Context(), "", 1)
	if err != nil {
		t.Fatal(err)
	}
	unread, err := s.Watch(t.Context(), "", 0)
	if err != nil {
		t.Fatal(err)
	}
	for range watchBuffer + 5 {
		commit(t, s, Put("/a", []byte("2")))
	}
	rev := s.Revision()
	done := make(chan error)
	go func() { done <- s.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(waitLong):
		t.Fatal("Close did not return: blocked on a watcher?")
	}
	wantClosed(t, idle)
	wantClosed(t, unread)
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, _, err := s.Get("/a"); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}
	if _, _, err := s.Range(""); !errors.Is(err, ErrClosed) {
		t.Errorf("Range after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Commit(Put("/a", nil)); !errors.Is(err, ErrClosed) {
		t.Errorf("Commit after Close: %v, want ErrClosed", err)
	}
	if _, err := s.Watch(t.Context(), "", 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Watch after Close: %v, want ErrClosed", err)
	}
	if r := s.Revision(); r != rev {
		t.Errorf("Revision after Close = %d, want %d", r, rev)
	}
}

// testConcurrent runs writers, readers and watchers at once: under -race
// it checks the locking; it also checks that commits are atomic to
// readers, that revisions are dense and each commit is watched once, in
// order, and that replaying the watched commits gives what Range gives.
func testConcurrent(t *testing.T, open opener) {
	s := open(t, Config{})
	const writers, commits = 6, 30
	var watches []<-chan Event
	for _, prefix := range []string{"", "", "/w/0/"} {
		ch, err := s.Watch(t.Context(), prefix, 0)
		if err != nil {
			t.Fatal(err)
		}
		watches = append(watches, ch)
	}

	var wg sync.WaitGroup
	errs := make(chan error, writers+2)
	for w := range writers {
		wg.Go(func() {
			for i := range commits {
				k := fmt.Sprintf("/w/%d/%d/", w, i)
				ops := []Op{Put(k+"a", []byte(k)), Put(k+"b", []byte(k))}
				if i%3 == 2 { // delete an earlier pair in the same commit
					old := fmt.Sprintf("/w/%d/%d/", w, i-2)
					ops = append(ops, Delete(old+"a"), Delete(old+"b"))
				}
				if _, err := s.Commit(ops...); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			var last int64
			for {
				select {
				case <-stop:
					return
				default:
				}
				kvs, rev, err := s.Range("/w/")
				if err != nil {
					errs <- err
					return
				}
				if rev < last {
					errs <- fmt.Errorf("Range revision went back from %d to %d", last, rev)
					return
				}
				last = rev
				if err := pairsWhole(kvs); err != nil {
					errs <- fmt.Errorf("at revision %d: %v", rev, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	final := s.Revision()
	if final != writers*commits {
		t.Fatalf("Revision() = %d after %d commits", final, writers*commits)
	}
	want, _, err := s.Range("")
	if err != nil {
		t.Fatal(err)
	}
	for i, ch := range watches {
		prefix := []string{"", "", "/w/0/"}[i]
		// The last commit under /w/0/ is writer 0's last, which puts a
		// pair: the highest revision set under it.
		var end int64
		for _, kv := range want {
			if strings.HasPrefix(kv.Key, prefix) {
				end = max(end, kv.Revision)
			}
		}
		replayed := map[string]KV{}
		for last := int64(0); last < end; {
			e := recv(t, ch)
			switch {
			case e.Err != nil:
				t.Fatalf("watch %d: %v", i, e.Err)
			case prefix == "" && e.Revision != last+1:
				t.Fatalf("watch %d: revision %d after %d", i, e.Revision, last)
			case e.Revision <= last:
				t.Fatalf("watch %d: revision %d after %d", i, e.Revision, last)
			}
			for _, op := range e.Ops {
				if op.Delete {
					delete(replayed, op.Key)
				} else {
					replayed[op.Key] = KV{Key: op.Key, Value: op.Value, Revision: e.Revision}
				}
			}
			last = e.Revision
		}
		wantQuiet(t, ch)
		var got, wantHere []KV
		for _, kv := range replayed {
			got = append(got, kv)
		}
		for _, kv := range want {
			if strings.HasPrefix(kv.Key, prefix) {
				wantHere = append(wantHere, kv)
			}
		}
		sortKVs := cmpopts.SortSlices(func(a, b KV) bool { return a.Key < b.Key })
		if diff := cmp.Diff(wantHere, got, sortKVs); diff != "" {
			t.Errorf("watch %d (prefix %q): replay differs from Range (-want +got):\n%s", i, prefix, diff)
		}
	}
}

// pairsWhole returns an error unless the keys .../a and .../b of kvs come
// in pairs, as every commit of testConcurrent puts and deletes them.
func pairsWhole(kvs []KV) error {
	seen := map[string]int{}
	for _, kv := range kvs {
		seen[kv.Key[:len(kv.Key)-1]]++
	}
	for k, n := range seen {
		if n != 2 {
			return fmt.Errorf("%sa and %sb: %d of the pair", k, k, n)
		}
	}
	return nil
}

func TestConfigHistory(t *testing.T) {
	c := Config{History: -1}
	if m, err := c.NewMemory(); err == nil {
		m.Close()
		t.Error("Config{History: -1}.NewMemory: no error")
	}
	if b, err := c.OpenBolt(filepath.Join(t.TempDir(), "state.db")); err == nil {
		b.Close()
		t.Error("Config{History: -1}.OpenBolt: no error")
	}
}
