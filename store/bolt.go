package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"golang.org/x/sys/unix"
)

// Bolt is a Store in one bbolt file. Every commit is fsynced before
// Commit returns, and the open Bolt holds the file's exclusive lock until
// Close. It is safe for concurrent use.
type Bolt struct {
	db      *bolt.DB
	history int
	feed    *feed

	// commitMu serialises commits, so that rev moves only forward.
	commitMu sync.Mutex
	rev      atomic.Int64

	// mu is held for reading by every use of db and for writing by Close,
	// which sets closed.
	mu     sync.RWMutex
	closed bool

	closeOnce sync.Once
	closeErr  error

	// failApply, when set (by tests), is called before each op a commit
	// applies; an error aborts the transaction.
	failApply func(i int) error
}

var _ Store = (*Bolt)(nil)

// The file's buckets and the meta bucket's keys.
var (
	bucketMeta = []byte("meta")
	bucketKV   = []byte("kv")
	bucketLog  = []byte("log")

	metaFormat   = []byte("format")
	metaRevision = []byte("revision")

	// formatV1 identifies a file as a vpcsim store in this layout.
	formatV1 = []byte("vpcsim-store/1")
)

// errNoChange aborts a commit transaction that would change nothing.
var errNoChange = errors.New("no change")

// OpenBolt opens the store in the bbolt file at path with the default
// Config, creating the file (mode 0600) and its directory (0700) when
// missing, and holds the file's lock until Close. It fails at once, with
// an error wrapping ErrLocked, when another open store holds the file (the
// kernel drops a dead process's lock), and with one wrapping ErrCorrupt
// when the file is not a vpcsim store or a record in it does not decode.
func OpenBolt(path string) (*Bolt, error) { return Config{}.OpenBolt(path) }

// OpenBolt opens the store in the bbolt file at path, configured by c; see
// the package-level OpenBolt. A history smaller than the file's log
// forgets the excess commits at open.
func (c Config) OpenBolt(path string) (*Bolt, error) {
	h, err := c.history()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db, err := openDB(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	b := &Bolt{db: db, history: h, feed: newFeed()}
	rev, err := b.load()
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	b.rev.Store(rev)
	return b, nil
}

// openDB opens and locks the bbolt file at path, telling a lock held
// elsewhere (ErrLocked) and a file that is not a database (ErrCorrupt)
// from the system's errors.
func openDB(path string) (db *bolt.DB, err error) {
	var file *os.File
	opts := &bolt.Options{
		// bbolt retries the lock until Timeout, and waits forever when it
		// is zero; a timeout this short tries once.
		Timeout: time.Nanosecond,
		// Keep the file bbolt opens, to close it should bbolt panic on a
		// damaged file before it returns the DB.
		OpenFile: func(name string, flag int, mode os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, mode)
			file = f
			return f, err
		},
	}
	err = guard(func() error {
		db, err = bolt.Open(path, 0o600, opts)
		return err
	})
	if err == nil {
		return db, nil
	}
	if file != nil && errors.Is(err, ErrCorrupt) {
		// bbolt panicked with the file open, locked and maybe mapped. The
		// map holds the open file, and with it the lock, past Close:
		// unlock it first. The map stays until the process exits.
		unix.Flock(int(file.Fd()), unix.LOCK_UN)
		file.Close()
	}
	var errno syscall.Errno
	var perr *fs.PathError
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return nil, ErrLocked
	case errors.Is(err, ErrCorrupt):
		return nil, err
	case errors.As(err, &perr), errors.As(err, &errno):
		return nil, err
	}
	// ErrInvalid, ErrVersionMismatch, ErrChecksum, a file too small to
	// hold the meta pages: not a bbolt database, or a damaged one.
	return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
}

// guard runs f, which reads or writes the mapped file, and turns a panic
// or a memory fault in it into an error wrapping ErrCorrupt: bbolt panics
// on pages it finds inconsistent, and reads through the map where a
// damaged page points.
func guard(f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	return f()
}

// view runs fn in a read transaction under guard.
func (b *Bolt) view(fn func(*bolt.Tx) error) error {
	return guard(func() error { return b.db.View(fn) })
}

// update runs fn in a read-write transaction under guard.
func (b *Bolt) update(fn func(*bolt.Tx) error) error {
	return guard(func() error { return b.db.Update(fn) })
}

// load makes a new file a store, or checks that an existing one is: its
// format, revision, values and log, read once here so that a damaged file
// is found at open rather than at first use. It forgets log entries beyond
// the history and returns the revision.
func (b *Bolt) load() (rev int64, err error) {
	err = b.update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return create(tx)
		}
		if f := meta.Get(metaFormat); !bytes.Equal(f, formatV1) {
			return fmt.Errorf("%w: format %q, want %q", ErrCorrupt, f, formatV1)
		}
		kv, log := tx.Bucket(bucketKV), tx.Bucket(bucketLog)
		if kv == nil || log == nil {
			return fmt.Errorf("%w: no %q or %q bucket", ErrCorrupt, bucketKV, bucketLog)
		}
		if rev, err = parseRev(meta.Get(metaRevision)); err != nil {
			return err
		}
		if err := checkValues(kv, rev); err != nil {
			return err
		}
		if err := checkLog(log, rev); err != nil {
			return err
		}
		return compact(log, rev-int64(b.history))
	})
	return rev, err
}

// create makes the empty database of tx a store at revision 0. It refuses
// a database that holds anything else.
func create(tx *bolt.Tx) error {
	var names []string
	tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		names = append(names, string(name))
		return nil
	})
	if len(names) > 0 {
		return fmt.Errorf("%w: a bbolt database with buckets %q and no %q", ErrCorrupt, names, bucketMeta)
	}
	meta, err := tx.CreateBucket(bucketMeta)
	if err != nil {
		return err
	}
	if _, err := tx.CreateBucket(bucketKV); err != nil {
		return err
	}
	if _, err := tx.CreateBucket(bucketLog); err != nil {
		return err
	}
	if err := meta.Put(metaFormat, formatV1); err != nil {
		return err
	}
	return meta.Put(metaRevision, revKey(0))
}

// checkValues checks that every value record decodes and was set at a
// revision no later than rev.
func checkValues(kv *bolt.Bucket, rev int64) error {
	return kv.ForEach(func(k, v []byte) error {
		set, _, err := decodeValue(k, v)
		if err != nil {
			return err
		}
		if set < 1 || set > rev {
			return fmt.Errorf("%w: key %q set at revision %d, store at %d", ErrCorrupt, k, set, rev)
		}
		return nil
	})
}

// checkLog checks that every log record decodes and that the records are
// of consecutive revisions ending at rev.
func checkLog(log *bolt.Bucket, rev int64) error {
	var last int64 = -1
	err := log.ForEach(func(k, v []byte) error {
		r, err := parseRev(k)
		if err != nil {
			return fmt.Errorf("log key: %w", err)
		}
		if last >= 0 && r != last+1 {
			return fmt.Errorf("%w: log jumps from revision %d to %d", ErrCorrupt, last, r)
		}
		last = r
		_, err = decodeRecord(r, v)
		return err
	})
	if err == nil && last >= 0 && last != rev {
		err = fmt.Errorf("%w: log ends at revision %d, store at %d", ErrCorrupt, last, rev)
	}
	return err
}

// compact deletes the log records of revisions up to floor.
func compact(log *bolt.Bucket, floor int64) error {
	c := log.Cursor()
	// A cursor is unreliable after a delete; seek again each time.
	for k, _ := c.First(); k != nil; k, _ = c.First() {
		r, err := parseRev(k)
		if err != nil {
			return err
		}
		if r > floor {
			return nil
		}
		if err := log.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// floor returns the revision after which the log of tx remembers every
// commit: a watch from an older revision gets ErrCompacted.
func floor(tx *bolt.Tx, rev int64) (int64, error) {
	k, _ := tx.Bucket(bucketLog).Cursor().First()
	if k == nil {
		return rev, nil
	}
	first, err := parseRev(k)
	return first - 1, err
}

// readRev returns the revision tx reads at.
func readRev(tx *bolt.Tx) (int64, error) {
	return parseRev(tx.Bucket(bucketMeta).Get(metaRevision))
}

// Get implements Store.
func (b *Bolt) Get(key string) (value []byte, ok bool, err error) {
	if err := checkKey(key); err != nil {
		return nil, false, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, false, ErrClosed
	}
	err = b.view(func(tx *bolt.Tx) error {
		k := []byte(key)
		rec := tx.Bucket(bucketKV).Get(k)
		if rec == nil {
			return nil
		}
		_, v, err := decodeValue(k, rec)
		value, ok = clone(v), err == nil
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: get %q: %w", key, err)
	}
	return value, ok, nil
}

// Range implements Store.
func (b *Bolt) Range(prefix string) (kvs []KV, rev int64, err error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, 0, ErrClosed
	}
	err = b.view(func(tx *bolt.Tx) error {
		if rev, err = readRev(tx); err != nil {
			return err
		}
		p := []byte(prefix)
		c := tx.Bucket(bucketKV).Cursor()
		for k, rec := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, rec = c.Next() {
			set, v, err := decodeValue(k, rec)
			if err != nil {
				return err
			}
			kvs = append(kvs, KV{Key: string(k), Value: clone(v), Revision: set})
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("store: range %q: %w", prefix, err)
	}
	return kvs, rev, nil
}

// Commit implements Store. It costs one bbolt transaction, fsynced before
// it returns; see the package doc.
func (b *Bolt) Commit(ops ...Op) (int64, error) {
	if err := checkOps(ops); err != nil {
		return 0, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return 0, ErrClosed
	}
	b.commitMu.Lock()
	defer b.commitMu.Unlock()
	now := time.Now()
	var rev int64
	err := b.update(func(tx *bolt.Tx) error {
		var err error
		rev, err = b.applyLocked(tx, now, ops)
		return err
	})
	switch {
	case errors.Is(err, errNoChange):
		return rev, nil
	case err != nil:
		return 0, fmt.Errorf("store: commit: %w", err)
	}
	b.rev.Store(rev)
	b.feed.notify()
	return rev, nil
}

// applyLocked applies ops in tx as the commit after the one tx reads at,
// logs it, forgets the commit that falls out of the history, and returns
// the new revision. When no op changes anything it returns the current
// revision and errNoChange.
func (b *Bolt) applyLocked(tx *bolt.Tx, now time.Time, ops []Op) (int64, error) {
	rev, err := readRev(tx)
	if err != nil {
		return 0, err
	}
	next := rev + 1
	kv := tx.Bucket(bucketKV)
	kept := make([]Op, 0, len(ops))
	for i, op := range ops {
		if b.failApply != nil {
			if err := b.failApply(i); err != nil {
				return 0, err
			}
		}
		key := []byte(op.Key)
		if op.Delete {
			if kv.Get(key) == nil {
				continue
			}
			if err := kv.Delete(key); err != nil {
				return 0, fmt.Errorf("delete %q: %w", op.Key, err)
			}
			kept = append(kept, Op{Key: op.Key, Delete: true})
			continue
		}
		if err := kv.Put(key, encodeValue(next, op.Value)); err != nil {
			return 0, fmt.Errorf("put %q: %w", op.Key, err)
		}
		kept = append(kept, op)
	}
	if len(kept) == 0 {
		return rev, errNoChange
	}
	log := tx.Bucket(bucketLog)
	// The log only appends at its end: fill its pages, where bbolt's
	// default of half full suits keys that land anywhere.
	log.FillPercent = 1
	if err := log.Put(revKey(next), encodeRecord(now, kept)); err != nil {
		return 0, fmt.Errorf("log: %w", err)
	}
	if err := compact(log, next-int64(b.history)); err != nil {
		return 0, fmt.Errorf("compact log: %w", err)
	}
	if err := tx.Bucket(bucketMeta).Put(metaRevision, revKey(next)); err != nil {
		return 0, err
	}
	return next, nil
}

// Watch implements Store.
func (b *Bolt) Watch(ctx context.Context, prefix string, rev int64) (<-chan Event, error) {
	if rev < 0 {
		return nil, fmt.Errorf("store: watch from revision %d: negative", rev)
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, ErrClosed
	}
	err := b.view(func(tx *bolt.Tx) error {
		last, err := readRev(tx)
		if err != nil {
			return err
		}
		f, err := floor(tx, last)
		if err != nil {
			return err
		}
		if rev < f {
			return compactedError(rev, f, last)
		}
		return nil
	})
	if errors.Is(err, ErrCompacted) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("store: watch: %w", err)
	}
	return b.feed.watch(ctx, prefix, rev, b.read), nil
}

// read is the readFunc of b's watches.
func (b *Bolt) read(after int64, max int) (evs []Event, err error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, ErrClosed
	}
	err = b.view(func(tx *bolt.Tx) error {
		last, err := readRev(tx)
		if err != nil || after >= last {
			return err
		}
		f, err := floor(tx, last)
		if err != nil {
			return err
		}
		if after < f {
			return compactedError(after, f, last)
		}
		c := tx.Bucket(bucketLog).Cursor()
		for k, rec := c.Seek(revKey(after + 1)); k != nil && len(evs) < max; k, rec = c.Next() {
			r, err := parseRev(k)
			if err != nil {
				return err
			}
			ev, err := decodeRecord(r, rec)
			if err != nil {
				return err
			}
			evs = append(evs, ev)
		}
		return nil
	})
	return evs, err
}

// Revision implements Store.
func (b *Bolt) Revision() int64 { return b.rev.Load() }

// Close implements Store. It ends every watch, waits for their goroutines
// and for commits under way, and releases the file and its lock.
func (b *Bolt) Close() error {
	b.closeOnce.Do(func() {
		b.mu.Lock()
		b.closed = true
		b.mu.Unlock()
		b.feed.stop()
		b.closeErr = b.db.Close()
	})
	return b.closeErr
}
