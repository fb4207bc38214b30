package daemon

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/tun"
)

// TestNSExplainAll sends a batch of probes of every kind on the lab
// topology of package explain: each is sent, meets the fate the analysis
// predicts, and TCP and UDP carry a message there and back through the
// receivers, which are gone afterwards.
func TestNSExplainAll(t *testing.T) {
	yaml, err := os.ReadFile("../explain/testdata/lab.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d := launch(t, "lab.yaml", yaml)
	// A program of b1 listens on TCP port 7000 and closes what it
	// accepts: no receiver can listen there, and the probe connects to it.
	var busy net.Listener
	if err := tun.Do(d.Topology.Namespace("b1"), func() (err error) {
		busy, err = net.Listen("tcp4", "10.0.2.10:7000")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	go func() {
		for {
			c, err := busy.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	fds := openFiles(t)

	type want struct {
		reachable bool
		outcome   string // a part of the probe's outcome
		note      string // a part of its note
	}
	for _, tc := range []struct {
		req  explain.Request
		want want
	}{
		{explain.Request{Source: "a1", Destination: "b1"}, want{true, "echo reply received", ""}},
		{explain.Request{Source: "a1", Destination: "b1", Protocol: explain.TCP, Port: 5201}, want{true, "the message came back from 10.0.2.10:5201", ""}},
		{explain.Request{Source: "c1", Destination: "b1", Protocol: explain.TCP, Port: 5201}, want{false, "no answer", ""}},
		{explain.Request{Source: "b1", Destination: "a1", Protocol: explain.UDP, Port: 5353}, want{true, "the message came back from 192.168.1.10:5353", ""}},
		{explain.Request{Source: "a1", Destination: "10.0.2.10", Protocol: explain.UDP, Port: 5353}, want{true, "the message came back", ""}},
		{explain.Request{Source: "a1", Destination: "b1", Protocol: explain.TCP, Port: 7000}, want{true, "connected to 10.0.2.10:7000", "no receiver could listen on tcp port 7000 of b1"}},
		{explain.Request{Source: "a2", Destination: "c1"}, want{false, "no echo reply", ""}},
		{explain.Request{Source: "b1", Destination: "p1", Protocol: explain.UDP, Port: 53}, want{false, "no answer", ""}},
		{explain.Request{Source: "a1", Destination: "10.0.2.99"}, want{false, "no echo reply", ""}},
		{explain.Request{Source: "a1", Destination: "192.168.1.1", Protocol: explain.TCP, Port: 22}, want{false, "no answer", ""}},
	} {
		t.Run(fmt.Sprintf("%s %s %s %d", tc.req.Source, tc.req.Destination, tc.req.Protocol, tc.req.Port), func(t *testing.T) {
			// Each alone, so that the drops counted are its own.
			res, err := d.ExplainAll(context.Background(), "", []explain.Request{tc.req}, true)
			if err != nil {
				t.Fatal(err)
			}
			r, p := res[0], res[0].Probe
			if (r.Verdict == explain.Reachable) != tc.want.reachable {
				t.Errorf("verdict %s, want reachable %v", r.Verdict, tc.want.reachable)
			}
			if p == nil || !p.Sent || p.OK != tc.want.reachable || !p.Agrees || !strings.Contains(p.Outcome, tc.want.outcome) || !strings.Contains(p.Note, tc.want.note) {
				t.Errorf("probe %+v, want one sent, ok %v, agreeing, with outcome %q and note %q", p, tc.want.reachable, tc.want.outcome, tc.want.note)
			}
		})
	}
	// The receivers are closed: nothing listens on b1's port 5201.
	if err := tun.Do(d.Topology.Namespace("a1"), func() error {
		c, err := net.DialTimeout("tcp4", "10.0.2.10:5201", time.Second)
		if err == nil {
			c.Close()
			return fmt.Errorf("a receiver still listens on 10.0.2.10:5201")
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	if after := openFiles(t); after > fds {
		t.Errorf("%d files open after the probes, %d before", after, fds)
	}

	// Over the API, with an unknown protocol: InvalidParameter.
	if err := d.serve(); err != nil {
		t.Fatal(err)
	}
	c := api.NewClient(api.SocketPath(d.Topology.Name), "")
	if _, err := c.ExplainAll(context.Background(), []explain.Request{{Source: "a1", Destination: "b1", Protocol: "sctp"}}, false); err == nil || !strings.Contains(err.Error(), "request 0: ") {
		t.Errorf("ExplainAll(sctp) = %v, want InvalidParameter naming request 0", err)
	}
}

// TestNSExplainAllIsParallelAndBounded probes many pairs that nothing
// answers in one batch: more than MaxProbes pings run at once, never more
// than MaxBatchProbes, and each pair gets its answer.
func TestNSExplainAllIsParallelAndBounded(t *testing.T) {
	d := launch(t, "best-practice.yaml", example(t, "best-practice.yaml"))
	var reqs []explain.Request
	for i := range MaxBatchProbes + 8 {
		reqs = append(reqs, explain.Request{Source: "a1", Destination: fmt.Sprintf("10.0.1.%d", 100+i)})
	}
	done := make(chan error, 1)
	go func() {
		res, err := d.ExplainAll(context.Background(), "", reqs, true)
		for i, r := range res {
			if p := r.Probe; err == nil && (p == nil || !p.Sent || p.OK || !p.Agrees) {
				err = fmt.Errorf("probe %d: %+v", i, p)
			}
		}
		done <- err
	}()
	most := 0
	for running := true; running; {
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
			running = false
		case <-time.After(20 * time.Millisecond):
			most = max(most, pingsIn(d.Topology.Namespace("a1")))
		}
	}
	if most > MaxBatchProbes || most <= MaxProbes {
		t.Errorf("at most %d pings ran at once, want more than %d and at most %d", most, MaxProbes, MaxBatchProbes)
	}
}

// openFiles counts this process's open files.
func openFiles(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}
