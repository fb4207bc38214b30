// Package store keeps the durable state of one vpcsim topology: the
// peerings, routes, deadlines and issued ids that the control plane must
// not forget when its daemon dies.
//
// A Store maps keys ('/'-separated strings such as "/peerings/pcx-1a2b")
// to values (bytes). It changes only by Commit, which applies a list of
// puts and deletes atomically and makes a new revision: a counter that
// starts at 0 for an empty store and grows by one per commit. Every key
// records the revision that last set it, and the store keeps a log of its
// latest commits, which Watch replays from any remembered revision before
// following new ones. A control plane therefore reads its state with Range
// at some revision and watches from that revision, missing nothing and
// seeing nothing twice.
//
// # Guarantees
//
//   - Atomic: a commit's ops are all applied or none are; a reader sees a
//     revision whole.
//   - Durable on return: when Commit returns nil its ops are on disk
//     (Bolt fsyncs before returning), so a daemon killed the next instant
//     finds them when it reopens the file.
//   - Ordered: revisions are dense; Watch delivers commits in revision
//     order, each once, never dropping one. A watcher that falls further
//     behind than the history gets a final Event with Err set to
//     ErrCompacted rather than a gap.
//   - Bounded: the store remembers its last Config.History commits
//     (DefaultHistory) and forgets older ones in the same transaction that
//     adds a new one, so the file does not grow with the number of commits,
//     only with the live keys.
//   - Exclusive: an open Bolt holds an exclusive lock (flock) on its file
//     until Close. A second open of the file, from this process or another,
//     fails at once with ErrLocked. This is what keeps two daemons of one
//     topology apart, and the kernel drops the lock when its holder dies,
//     however it dies.
//
// # Cost
//
// A Bolt commit is one bbolt read-write transaction: it copies the B+tree
// pages on the path to each changed key, appends one log record (and
// drops the oldest), then writes the dirty pages, fdatasyncs, writes the
// meta page and fdatasyncs again. The two syncs dominate: BenchmarkCommit
// measured a one-key commit at about 1.2 ms median and 14–17 ms at the
// 99th percentile on a virtual disk shared with other busy work, where
// Memory takes 0.2 µs.
// Commits are serialised, so fsync latency bounds the write rate; reads
// run concurrently with each other and with a commit, against the last
// committed revision. The file holds the live keys and the remembered
// commits in bbolt pages: 10,000 commits that each put a route-sized value
// and 9,000 that delete one leave 4.5 MiB in use in an 8 MiB file (bbolt
// doubles a small file as it grows). Freed pages are reused, but the file
// never shrinks below its high-water mark.
//
// # Other backends
//
// Store is shaped after etcd's KV and Watch APIs so that an etcd backend
// can be added without touching its users: Get and Range are etcd Get
// (with WithPrefix); Commit is one Txn of Put and Delete ops whose header
// revision is the new revision (an etcd Txn rejects a key twice in one
// commit, and so does every Store); KV.Revision is ModRevision; Watch is
// etcd Watch with WithPrefix and WithRev(rev+1), its compaction error
// mapped to ErrCompacted; the lock is a lease-held election key. etcd's
// own limits (128 ops and 1.5 MiB per Txn by default) would bound a
// commit there.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Store holds the durable state of one topology. Implementations are
// safe for concurrent use. A store copies the values it is given, and the
// values it returns, in KVs and Events, belong to the caller.
type Store interface {
	// Get returns the value of key, and whether it is set.
	Get(key string) (value []byte, ok bool, err error)

	// Range returns every key that starts with prefix, in key order, and
	// the revision it read them at. An empty prefix matches every key.
	Range(prefix string) ([]KV, int64, error)

	// Commit applies ops atomically and returns the new revision. When it
	// returns nil the ops are durable. A delete of a key that is not set
	// changes nothing and is left out of the commit; a commit that changes
	// nothing (no ops, or only such deletes) writes nothing and returns the
	// current revision. A key given twice is an error (ErrInvalidKey).
	Commit(ops ...Op) (int64, error)

	// Watch sends, in order, every commit after revision rev that touches
	// a key starting with prefix, with only those ops, and then each new
	// such commit, until ctx ends or the store is closed; the channel is
	// then closed. A rev older than the store remembers gives
	// ErrCompacted. A watcher that falls that far behind while watching
	// receives a last Event whose Err is ErrCompacted.
	Watch(ctx context.Context, prefix string, rev int64) (<-chan Event, error)

	// Revision returns the revision of the last commit, 0 when none.
	Revision() int64

	// Close ends every watch and releases the store. It is idempotent;
	// every other method then returns ErrClosed.
	Close() error
}

// KV is a key with its value, as Range returns it.
type KV struct {
	Key   string
	Value []byte
	// Revision is the revision of the commit that last set Key.
	Revision int64
}

// Op is one change in a commit: a put of Value at Key, or, when Delete is
// set, a delete of Key (Value is then ignored).
type Op struct {
	Key    string
	Value  []byte
	Delete bool
}

// Put returns an Op that sets key to value.
func Put(key string, value []byte) Op { return Op{Key: key, Value: value} }

// Delete returns an Op that deletes key.
func Delete(key string) Op { return Op{Key: key, Delete: true} }

// String returns the op as "put KEY (N bytes)" or "delete KEY".
func (o Op) String() string {
	if o.Delete {
		return fmt.Sprintf("delete %q", o.Key)
	}
	return fmt.Sprintf("put %q (%d bytes)", o.Key, len(o.Value))
}

// Event is one commit as Watch delivers it.
type Event struct {
	// Revision is the revision the commit made.
	Revision int64
	// Time is when the commit was made, to the nanosecond, without a
	// monotonic reading.
	Time time.Time
	// Ops are the commit's ops on keys under the watched prefix, in the
	// order they were committed. Deletes carry no value.
	Ops []Op
	// Err, when not nil, ends the watch: it is the last event on the
	// channel and its other fields are zero. ErrCompacted says the watcher
	// fell behind further than the store remembers; the remedy is to Range
	// again and watch from the revision Range returns.
	Err error
}

var (
	// ErrCompacted is returned by Watch for a revision older than the
	// store remembers, and is the Err of a watch that fell that far behind.
	ErrCompacted = errors.New("revision compacted")

	// ErrLocked is returned by OpenBolt when another open store, in this
	// process or another, holds the file.
	ErrLocked = errors.New("locked by another open store")

	// ErrClosed is returned by every method of a closed store but Close.
	ErrClosed = errors.New("store closed")

	// ErrCorrupt is returned when a file is not a vpcsim store or is
	// damaged: not a bbolt database, another program's bbolt database, or
	// records that do not decode.
	ErrCorrupt = errors.New("not a vpcsim store, or damaged")

	// ErrInvalidKey is returned for an empty key, a key longer than
	// MaxKeyLen, or a key given twice in one commit.
	ErrInvalidKey = errors.New("invalid key")
)

// MaxKeyLen is the longest key, in bytes, a store accepts.
const MaxKeyLen = 4096

// DefaultHistory is the number of commits a store remembers for Watch
// when Config.History is zero.
const DefaultHistory = 10_000

// Config tunes a store; the zero value gives the defaults that OpenBolt
// and NewMemory use.
type Config struct {
	// History is how many of its latest commits the store remembers for
	// Watch; zero means DefaultHistory. A smaller history keeps a smaller
	// file and lets a slow watcher fall behind sooner.
	History int
}

// history returns the history to use, or an error for a negative one.
func (c Config) history() (int, error) {
	switch {
	case c.History < 0:
		return 0, fmt.Errorf("store: history %d: must be at least 1, or 0 for %d", c.History, DefaultHistory)
	case c.History == 0:
		return DefaultHistory, nil
	}
	return c.History, nil
}

// checkKey returns an error wrapping ErrInvalidKey for a key no store
// accepts.
func checkKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("store: %w: empty", ErrInvalidKey)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("store: %w: %.32q... is %d bytes, longer than %d", ErrInvalidKey, key, len(key), MaxKeyLen)
	}
	return nil
}

// checkOps returns an error for a commit no store accepts: a bad key or a
// key given twice.
func checkOps(ops []Op) error {
	var seen map[string]struct{}
	if len(ops) > 1 {
		seen = make(map[string]struct{}, len(ops))
	}
	for _, op := range ops {
		if err := checkKey(op.Key); err != nil {
			return err
		}
		if seen == nil {
			continue
		}
		if _, dup := seen[op.Key]; dup {
			return fmt.Errorf("store: %w: %q twice in one commit", ErrInvalidKey, op.Key)
		}
		seen[op.Key] = struct{}{}
	}
	return nil
}

// compactedError returns the error of a watch from revision rev of a store
// that remembers the commits after floor, up to last.
func compactedError(rev, floor, last int64) error {
	return fmt.Errorf("store: watch from revision %d: %w: the store remembers revisions %d to %d", rev, ErrCompacted, floor+1, last)
}

// clone returns a copy of b that is never nil, so that an empty value
// reads back the same from every store.
func clone(b []byte) []byte { return append([]byte{}, b...) }
