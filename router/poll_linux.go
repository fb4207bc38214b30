package router

import (
	"errors"
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// poller is a lane's reader: one goroutine waiting in epoll_wait on the
// lane's queue of every host, which reads what is ready and forwards it.
// Reading many hosts from one goroutine is what keeps a round trip short:
// while it writes a request into one host, that host's kernel answers, and
// the same reader finds the reply ready on its next epoll_wait instead of
// another thread being woken for it. On machines where waking a sleeping
// CPU is slow, as in virtual machines, those wakeups are most of a round
// trip. The lanes keep that property on many cores: a lane writes into a
// host's queue of its own (port.writeQueue), so the reply comes out of the
// queue that the writer itself polls.
//
// With a busy-poll time the reader keeps calling epoll_wait without
// sleeping for that long after the last packet it read, so the next packet
// of a conversation does not wake it either, at the cost of a CPU kept busy
// while traffic flows.
//
// Bulk traffic uses more goroutines still: large batches go over a peering
// through the link's queue and are written by its receiving goroutine.
type poller struct {
	net    *Network
	w      *worker
	rb     *batch   // read into, from any queue; nil until the first read
	ep     int      // epoll descriptor
	stopc  int      // eventfd that ends run
	queues []*queue // by the index in their epoll data
	busy   time.Duration
	done   chan struct{}
}

// stopTag is the epoll data of the stop eventfd.
const stopTag = -1

// canPoll says the poller can serve pollable devices here.
const canPoll = true

// startPoller starts reading queues, which must have pollable devices, on
// a goroutine of the given lane.
func startPoller(n *Network, lane int, queues []*queue, busy time.Duration) (_ *poller, err error) {
	pl := &poller{net: n, w: newWorker(lane), ep: -1, stopc: -1, queues: queues, busy: busy, done: make(chan struct{})}
	defer func() {
		if err != nil {
			pl.closeFDs()
		}
	}()
	if pl.ep, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	if pl.stopc, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return nil, fmt.Errorf("eventfd: %w", err)
	}
	if err := pl.add(pl.stopc, stopTag); err != nil {
		return nil, err
	}
	for i, q := range queues {
		if err := pl.add(q.poll.PollFD(), i); err != nil {
			return nil, fmt.Errorf("host %q: %w", q.port.name, err)
		}
	}
	go pl.run()
	return pl, nil
}

func (pl *poller) add(fd, tag int) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(tag)}
	if err := unix.EpollCtl(pl.ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("epoll_ctl add %d: %w", fd, err)
	}
	return nil
}

func (pl *poller) run() {
	defer close(pl.done)
	events := make([]unix.EpollEvent, 64)
	var last time.Time // of the last packet read, when busy polling
	var fails, unlogged int
	var logged time.Time // of the last line about failing waits
	for {
		timeout := -1
		if pl.busy > 0 && time.Since(last) < pl.busy {
			timeout = 0
		}
		k, err := pl.wait(events, timeout)
		if err != nil {
			if err != unix.EINTR {
				// Logged once, then at most every logEvery, as failed
				// reads are: a wait that keeps failing must not fill
				// the log.
				fails++
				unlogged++
				if fails == 1 || time.Since(logged) >= pl.net.retry.logEvery {
					pl.net.log.Warn("router: epoll_wait failed", "lane", pl.w.lane, "err", err, "failures", unlogged)
					logged, unlogged = time.Now(), 0
				}
				time.Sleep(10 * time.Millisecond)
			}
			continue
		}
		fails = 0
		read := false
		for _, ev := range events[:k] {
			if ev.Fd == stopTag {
				pl.release()
				return
			}
			if pl.rb == nil {
				pl.rb = pl.net.pool.get()
			}
			q := pl.queues[ev.Fd]
			n, err := q.read(pl.w, pl.rb, false)
			if err != nil {
				pl.handOver(int(ev.Fd), err)
			}
			read = read || n > 0
		}
		if read && pl.busy > 0 {
			last = time.Now()
		}
	}
}

// wait returns the ready events, waiting up to timeout milliseconds (-1:
// for ever). A busy poll (timeout 0) that finds nothing lets other
// goroutines, and other threads of the CPU, run first: polling should take
// only time nothing else wants.
func (pl *poller) wait(events []unix.EpollEvent, timeout int) (int, error) {
	if timeout != 0 {
		return unix.EpollWait(pl.ep, events, timeout)
	}
	// Never blocks, so it need not tell the Go scheduler, which would
	// cost more than the call itself.
	k, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(pl.ep),
		uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	if k == 0 {
		runtime.Gosched()
		unix.RawSyscall(unix.SYS_SCHED_YIELD, 0, 0, 0)
	}
	return int(k), nil
}

// handOver stops polling queue i, whose read failed with err, and, unless
// its device was closed, gives the queue a goroutine of its own that
// retries (see queue.run): a failing descriptor stays ready, and polling
// it would spin.
func (pl *poller) handOver(i int, err error) {
	q := pl.queues[i]
	pl.queues[i] = nil
	unix.EpollCtl(pl.ep, unix.EPOLL_CTL_DEL, q.poll.PollFD(), nil)
	if q.closed(err) {
		return
	}
	pause, gone := q.failed(err)
	if gone {
		return
	}
	pl.net.solos.Add(1)
	go func() {
		defer pl.net.solos.Done()
		if pl.net.sleep(pause) {
			q.run()
		}
	}()
}

// release returns the poller's read batch to the pool.
func (pl *poller) release() {
	if pl.rb != nil {
		pl.net.pool.put(pl.rb)
		pl.rb = nil
	}
}

// stop ends run and waits for it. The devices are left open.
func (pl *poller) stop() error {
	var one [8]byte
	one[0] = 1 // eventfd counters are host-endian; 1 is nonzero either way
	if _, err := unix.Write(pl.stopc, one[:]); err != nil {
		return fmt.Errorf("stop poller: %w", err)
	}
	<-pl.done
	return pl.closeFDs()
}

func (pl *poller) closeFDs() error {
	var errs []error
	for _, fd := range []int{pl.ep, pl.stopc} {
		if fd >= 0 {
			errs = append(errs, unix.Close(fd))
		}
	}
	pl.ep, pl.stopc = -1, -1
	return errors.Join(errs...)
}
