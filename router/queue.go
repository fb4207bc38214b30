package router

import (
	"runtime"
	"time"
)

// MaxLanes bounds Config.Lanes.
const MaxLanes = 16

// defaultMaxLanes bounds the default number of lanes: every lane costs
// each multi-queue host a queue, and each queue a file descriptor or two.
const defaultMaxLanes = 8

// DefaultLanes returns the number of lanes a Network has when Config.Lanes
// is 0: one per CPU the Go runtime uses (GOMAXPROCS), at most 8. Hosts
// whose devices have that many queues (see MultiQueue) spread their flows
// over every lane.
func DefaultLanes() int {
	return min(runtime.GOMAXPROCS(0), defaultMaxLanes)
}

// queue is one queue of a host's device and the state of the goroutine
// that reads it: a lane's poller, or a goroutine of its own (solo).
type queue struct {
	port *port
	dev  Device
	poll pollable // dev, if a poller may read it; else nil
	lane int      // the lane that reads it
	solo *worker  // of the goroutine that reads it when no poller does

	want int // packets to ask the next read for
	full int // reads in a row that got want packets

	fails readFailures
}

// growAfter is how many reads in a row must fill a host's batch before it
// doubles. A read that finds fewer packets than it asked for has made one
// system call more, the one that found the device empty; growing only
// under sustained load spares that call to light traffic such as pings.
const growAfter = 4

// nextWant returns the batch to ask for after a read of want packets got
// n, the read being the full-th in a row to get all it asked for, and how
// many full reads in a row there have been.
func nextWant(want, full, n, slots int) (int, int) {
	switch {
	case n < want:
		return max(1, n), 0
	case full+1 == growAfter:
		return min(2*want, slots), 0
	default:
		return want, full + 1
	}
}

// read reads a batch from the queue into rb, the reading goroutine's, and
// forwards it on w, that goroutine's worker. With wait it waits for a
// packet; without, the device must be pollable and read returns 0 at once
// if none is ready. The batch it asks for follows the traffic: one packet
// at first, as many as the last read found when that was fewer, doubled
// after growAfter full reads, up to the pool's slots. After forwarding, rb
// holds free buffers only, for the next read of any queue.
func (q *queue) read(w *worker, rb *batch, wait bool) (int, error) {
	p := q.port
	pl := p.r.net.pool
	want := max(q.want, 1)
	pl.fill(rb, want)
	var n int
	var err error
	if wait {
		n, err = q.dev.Read(rb.bufs[:want], rb.sizes[:want], Headroom)
	} else {
		n, err = q.poll.TryRead(rb.bufs[:want], rb.sizes[:want], Headroom)
	}
	if n == 0 {
		return 0, err
	}
	rb.n = n
	q.want, q.full = nextWant(want, q.full, n, pl.slots)
	if !p.devHead {
		for i := range n {
			clear(rb.bufs[i][:Headroom])
		}
	}
	p.outTap.batch(rb)
	w.epoch.Add(1)
	bytes := p.forward(w, rb)
	w.epoch.Add(1)
	p.r.net.lanes[w.lane].read.add(n, bytes)
	return n, nil
}

// run reads and forwards batches from the queue until the device is closed
// or given up: the goroutine of a queue no poller serves, or no longer
// serves because a read failed. Failed reads are retried after a pause
// that grows while they go on (see readFailures). An idle queue read this
// way holds one buffer.
func (q *queue) run() {
	pl := q.port.r.net.pool
	rb := pl.get()
	defer pl.put(rb)
	for {
		_, err := q.read(q.solo, rb, true)
		if err == nil {
			q.recovered()
			continue
		}
		if q.closed(err) {
			return
		}
		pause, gone := q.failed(err)
		if gone || !q.port.r.net.sleep(pause) {
			return
		}
	}
}

// closed reports whether err, from reading the queue, means the device was
// closed or the Network is closing.
func (q *queue) closed(err error) bool {
	return q.port.r.net.closing.Load() || isClosed(err)
}

// retryPolicy says how a queue's reader treats reads that keep failing.
type retryPolicy struct {
	pause, maxPause time.Duration // between retries: doubling from pause up to maxPause
	logEvery        time.Duration // at most one line about a run of failures this often
	goneAfter       time.Duration // failures for this long, none succeeding: the device is gone
}

// defaultRetry retries at once a few times, then every second; logs the
// first failure and then a line every 10 s; and gives a device up after
// 5 s of nothing but failures, such as a host's TUN interface that was
// deleted (ip link del eth0 in the host), which fails every read for ever.
var defaultRetry = retryPolicy{
	pause:     10 * time.Millisecond,
	maxPause:  time.Second,
	logEvery:  10 * time.Second,
	goneAfter: 5 * time.Second,
}

// readFailures is a run of failed reads of one queue, none succeeding.
type readFailures struct {
	first, logged time.Time // of the first failure of the run, of the last log line
	count         int       // failures in the run
	unlogged      int       // failures since the last log line
	pause         time.Duration
}

// failed counts a failed read, logging it if it is the first of a run or
// the first for logEvery, and returns how long to wait before reading again,
// or that the device is gone: its reads have failed for goneAfter. A gone
// device is not read again; what is written to it is still counted
// (write_failed, if it fails too).
func (q *queue) failed(err error) (pause time.Duration, gone bool) {
	p, n := q.port, q.port.r.net
	pol, f, now := n.retry, &q.fails, time.Now()
	p.readErrors.Add(1)
	attrs := []any{"vpc", p.r.id, "host", p.name, "queue", q.index(), "err", err}
	f.count++
	f.unlogged++
	if f.count == 1 {
		f.first, f.logged, f.unlogged, f.pause = now, now, 0, pol.pause
		n.log.Warn("read from host failed; retrying", attrs...)
		return f.pause, false
	}
	if now.Sub(f.first) >= pol.goneAfter {
		p.gone.Store(true)
		n.log.Error("read from host failing; device gone, no longer read",
			append(attrs, "failures", f.count, "for", now.Sub(f.first).Round(time.Millisecond))...)
		return 0, true
	}
	if now.Sub(f.logged) >= pol.logEvery {
		n.log.Warn("read from host still failing",
			append(attrs, "failures", f.unlogged, "in", now.Sub(f.logged).Round(time.Millisecond))...)
		f.logged, f.unlogged = now, 0
	}
	f.pause = min(2*f.pause, pol.maxPause)
	return f.pause, false
}

// recovered ends a run of failed reads, if there was one.
func (q *queue) recovered() {
	f := &q.fails
	if f.count == 0 {
		return
	}
	p := q.port
	p.r.net.log.Info("read from host recovered", "vpc", p.r.id, "host", p.name, "queue", q.index(),
		"failures", f.count, "for", time.Since(f.first).Round(time.Millisecond))
	*f = readFailures{}
}

// index returns the queue's index among its host's queues.
func (q *queue) index() int {
	for i, o := range q.port.queues {
		if o == q {
			return i
		}
	}
	return -1
}
