package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Memory is a Store that keeps everything in memory, for tests of its
// users: it has Bolt's semantics (revisions, history, watches, ErrClosed)
// without the file, the lock or the fsync. It is safe for concurrent use.
type Memory struct {
	history int
	feed    *feed

	mu     sync.RWMutex // guards the fields below
	closed bool
	rev    int64
	kvs    map[string]KV
	log    []Event // the last commits, oldest first; log[i].Revision == rev-len(log)+1+i

	closeOnce sync.Once
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty Memory with the default Config.
func NewMemory() *Memory {
	m, _ := Config{}.NewMemory()
	return m
}

// NewMemory returns an empty Memory configured by c.
func (c Config) NewMemory() (*Memory, error) {
	h, err := c.history()
	if err != nil {
		return nil, err
	}
	return &Memory{history: h, feed: newFeed(), kvs: make(map[string]KV)}, nil
}

// Get implements Store.
func (m *Memory) Get(key string) ([]byte, bool, error) {
	if err := checkKey(key); err != nil {
		return nil, false, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, false, ErrClosed
	}
	kv, ok := m.kvs[key]
	if !ok {
		return nil, false, nil
	}
	return clone(kv.Value), true, nil
}

// Range implements Store.
func (m *Memory) Range(prefix string) ([]KV, int64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, 0, ErrClosed
	}
	var kvs []KV
	for k, kv := range m.kvs {
		if strings.HasPrefix(k, prefix) {
			kvs = append(kvs, KV{Key: k, Value: clone(kv.Value), Revision: kv.Revision})
		}
	}
	slices.SortFunc(kvs, func(a, b KV) int { return strings.Compare(a.Key, b.Key) })
	return kvs, m.rev, nil
}

// Commit implements Store.
func (m *Memory) Commit(ops ...Op) (int64, error) {
	if err := checkOps(ops); err != nil {
		return 0, err
	}
	now := time.Now().Round(0)
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return 0, ErrClosed
	}
	kept := make([]Op, 0, len(ops))
	for _, op := range ops {
		if !op.Delete {
			kept = append(kept, Op{Key: op.Key, Value: clone(op.Value)})
		} else if _, ok := m.kvs[op.Key]; ok {
			kept = append(kept, Op{Key: op.Key, Delete: true})
		}
	}
	if len(kept) == 0 {
		defer m.mu.Unlock()
		return m.rev, nil
	}
	m.rev++
	for _, op := range kept {
		if op.Delete {
			delete(m.kvs, op.Key)
		} else {
			m.kvs[op.Key] = KV{Key: op.Key, Value: op.Value, Revision: m.rev}
		}
	}
	m.log = append(m.log, Event{Revision: m.rev, Time: now, Ops: kept})
	if len(m.log) > m.history {
		m.log[0] = Event{}
		m.log = m.log[1:]
	}
	rev := m.rev
	m.mu.Unlock()
	m.feed.notify()
	return rev, nil
}

// Watch implements Store.
func (m *Memory) Watch(ctx context.Context, prefix string, rev int64) (<-chan Event, error) {
	if rev < 0 {
		return nil, fmt.Errorf("store: watch from revision %d: negative", rev)
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	if floor := m.rev - int64(len(m.log)); rev < floor {
		return nil, compactedError(rev, floor, m.rev)
	}
	return m.feed.watch(ctx, prefix, rev, m.read), nil
}

// read is the readFunc of m's watches.
func (m *Memory) read(after int64, max int) ([]Event, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	floor := m.rev - int64(len(m.log))
	if after < floor {
		return nil, compactedError(after, floor, m.rev)
	}
	i := int(after - floor)
	j := min(i+max, len(m.log))
	if i >= j {
		return nil, nil
	}
	// The events are never changed once logged; filter copies their
	// values before they leave the store.
	return slices.Clone(m.log[i:j]), nil
}

// Revision implements Store.
func (m *Memory) Revision() int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.rev
}

// Close implements Store.
func (m *Memory) Close() error {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		m.closed = true
		m.mu.Unlock()
		m.feed.stop()
	})
	return nil
}
