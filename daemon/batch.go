package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/intent"
)

// MaxBatchProbes is how many probes of explain batches (vpcsim check,
// reach --probe) a daemon sends at once, over all batches; more wait their
// turn. Each is a ping process or a thread in a host's namespace, and one
// whose packets find no way waits a second for nothing: a few dozen at
// once check two hundred pairs in seconds without crowding a small
// machine.
const MaxBatchProbes = 32

// maxReceivers bounds the receivers a batch keeps open at once; a batch
// that needs more probes its pairs in turns.
const maxReceivers = 64

// batchProbe is how a batch probes: an echo request every 0.2 s until one
// is answered or a second has passed; a TCP connection or UDP datagram
// whose message a receiver on the destination port echoes back.
var batchProbe = probeStyle{ping: []string{"-c", "1", "-i", "0.2", "-w", "1"}, timeout: time.Second, echo: true}

// probeMessage is what TCP and UDP probes send.
var probeMessage = []byte("vpcsim probe\n")

// ExplainAll analyses reqs against one reading of the live configuration
// (see explain.ExplainAll) and, with probe, sends real packets for each
// request from its source host, MaxBatchProbes at a time, comparing their
// fate with the analysis. For TCP and UDP it first starts a receiver on
// each destination host and port, which echoes what it gets; a port that
// a program of the host already listens on is probed as it is. Like
// Explain, it works for the hosts of every account.
func (d *Daemon) ExplainAll(ctx context.Context, acct string, reqs []explain.Request, probe bool) ([]*explain.Result, error) {
	if _, err := d.State.Account(acct); err != nil {
		return nil, err
	}
	res, err := explain.ExplainAll(d.State, reqs)
	if err != nil {
		if errors.Is(err, explain.ErrInvalidRequest) {
			return nil, control.Errorf(control.CodeInvalidParameter, "%v", err)
		}
		return nil, err
	}
	if probe {
		for rest := res; len(rest) > 0; {
			rest = rest[d.probeTurn(ctx, rest):]
		}
	}
	return res, nil
}

// Intent returns the topology's hosts and the expect: rules of the file
// it was launched from, with their host pairs. Every account may read
// them, as every account may explain.
func (d *Daemon) Intent(acct string) (intent.Plan, error) {
	if _, err := d.State.Account(acct); err != nil {
		return intent.Plan{}, err
	}
	return intent.NewPlan(d.Topology), nil
}

// receiverKey is a port of a host that probes are sent to.
type receiverKey struct {
	host  string
	proto explain.Protocol
	port  int
}

// receiverOf returns the receiver that the probe of res needs, if any.
func receiverOf(res *explain.Result) (receiverKey, bool) {
	if res.Source.Kind != explain.KindHost || res.Destination.Kind != explain.KindHost || res.Port == 0 ||
		(res.Protocol != explain.TCP && res.Protocol != explain.UDP) {
		return receiverKey{}, false
	}
	return receiverKey{host: res.Destination.Host, proto: res.Protocol, port: res.Port}, true
}

// probeTurn probes the first results of res that need at most
// maxReceivers receivers, and returns how many it probed.
func (d *Daemon) probeTurn(ctx context.Context, res []*explain.Result) int {
	keys := make(map[receiverKey]netip.Addr)
	n := 0
	for ; n < len(res); n++ {
		k, ok := receiverOf(res[n])
		if _, seen := keys[k]; ok && !seen {
			if len(keys) == maxReceivers {
				break
			}
			keys[k] = res[n].Destination.IP
		}
	}
	receivers := make(map[receiverKey]*receiver, len(keys))
	taken := make(map[receiverKey]string)
	for k, ip := range keys {
		r, err := listen(d.Topology.Namespace(k.host), k.proto, netip.AddrPortFrom(ip, uint16(k.port)))
		if err != nil {
			taken[k] = fmt.Sprintf("no receiver could listen on %s port %d of %s (%v): the probe went to what listens there", k.proto, k.port, k.host, err)
			continue
		}
		receivers[k] = r
	}
	defer func() {
		for _, r := range receivers {
			r.Close()
		}
	}()
	// The probes of pairs the analysis finds blocked wait out their whole
	// time: started first, they overlap the quick ones instead of
	// trailing after them.
	order := slices.Clone(res[:n])
	slices.SortStableFunc(order, func(a, b *explain.Result) int {
		return cmp.Compare(btoi(a.Verdict == explain.Reachable), btoi(b.Verdict == explain.Reachable))
	})
	var wg sync.WaitGroup
	for _, r := range order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case d.batchProbes <- struct{}{}:
				defer func() { <-d.batchProbes }()
			case <-ctx.Done():
				r.Probe = notSent(ctx)
				return
			}
			style := batchProbe
			k, _ := receiverOf(r)
			style.echo = receivers[k] != nil
			r.Probe = d.send(ctx, r, style)
			if note := taken[k]; note != "" {
				r.Probe.Note += "; " + note
			}
		}()
	}
	wg.Wait()
	return n
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
