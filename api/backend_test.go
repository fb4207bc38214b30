package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/intent"
	"github.com/vpcsim/vpcsim/router"
)

// fakeBackend answers the daemon's endpoints with fixed values and records
// what it was asked.
type fakeBackend struct {
	st *control.State

	mu       sync.Mutex
	accounts []string // acting account of every call
	explains []ExplainRequest
	batches  [][]explain.Request // of ExplainAll
	probed   []bool
	shutdown int
	consoles []ConsoleRequest
	attached chan [2]router.Tap // the taps of each capture, once attached
}

func (f *fakeBackend) called(acct string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.accounts = append(f.accounts, acct)
}

func (f *fakeBackend) Status(acct string) (Status, error) {
	f.called(acct)
	ps, err := f.st.Peerings(acct, true)
	return Status{Name: "fake", PID: 42, Peerings: ps}, err
}

func (f *fakeBackend) Stats(acct string, filter StatsFilter) (Stats, error) {
	f.called(acct)
	if filter != (StatsFilter{}) {
		return Stats{}, control.Errorf(control.CodeVpcNotFound, "filtered: %+v", filter)
	}
	return Stats{VPCs: []router.VPCStats{{VPC: "vpc1", Received: router.Count{Packets: 3, Bytes: 252}, Drops: router.Drops{router.DropNoRoute: 1}}}}, nil
}

func (f *fakeBackend) Explain(_ context.Context, acct string, req ExplainRequest) (*explain.Result, error) {
	f.called(acct)
	f.mu.Lock()
	f.explains = append(f.explains, req)
	f.mu.Unlock()
	if req.Destination == "nosuch" {
		return nil, control.Errorf(control.CodeInvalidParameter, "unknown destination %q", req.Destination)
	}
	return &explain.Result{Protocol: req.Protocol, Port: req.Port, Verdict: explain.Reachable}, nil
}

// ExplainAll answers each request as reachable, with a probe that
// agrees when asked for one; a destination "nosuch" is a bad request.
func (f *fakeBackend) ExplainAll(_ context.Context, acct string, reqs []explain.Request, probe bool) ([]*explain.Result, error) {
	f.called(acct)
	f.mu.Lock()
	f.batches = append(f.batches, reqs)
	f.probed = append(f.probed, probe)
	f.mu.Unlock()
	out := make([]*explain.Result, len(reqs))
	for i, r := range reqs {
		if r.Destination == "nosuch" {
			return nil, control.Errorf(control.CodeInvalidParameter, "request %d: unknown destination %q", i, r.Destination)
		}
		out[i] = &explain.Result{Source: explain.Endpoint{Given: r.Source}, Destination: explain.Endpoint{Given: r.Destination},
			Protocol: r.Protocol, Port: r.Port, Verdict: explain.Reachable}
		if probe {
			out[i].Probe = &explain.Probe{Method: "ping", Sent: true, OK: true, Agrees: true}
		}
	}
	return out, nil
}

func (f *fakeBackend) Intent(acct string) (intent.Plan, error) {
	f.called(acct)
	return intent.Plan{Topology: "fake", File: "fake.yaml", Hosts: []intent.Host{{Name: "a1", VPC: "vpc1"}},
		Rules: []intent.Rule{{File: "fake.yaml", Line: 3, Col: 5, From: "a1", To: "b1", Protocol: explain.ICMP, Reach: true,
			Pairs: []intent.Pair{{From: "a1", To: "b1"}}}}}, nil
}

func (f *fakeBackend) CapturePoint(acct string, req CaptureRequest) (CapturePoint, error) {
	f.called(acct)
	if req.Host != "a1" {
		return CapturePoint{}, control.Errorf(control.CodeHostNotFound, "no host %q", req.Host)
	}
	return CapturePoint{
		Names: [2]string{"a1 out", "a1 in"},
		Attach: func(a, b router.Tap) (func(), error) {
			f.attached <- [2]router.Tap{a, b}
			return func() {}, nil
		},
	}, nil
}

func (f *fakeBackend) Save(acct string) ([]byte, error) {
	f.called(acct)
	return []byte("name: fake\n"), nil
}

func (f *fakeBackend) Shutdown(acct string) error {
	f.called(acct)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shutdown++
	return nil
}

func (f *fakeBackend) ServeConsole(acct string, req ConsoleRequest) (Console, error) {
	f.called(acct)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.consoles = append(f.consoles, req)
	if req.Addr == "taken:1" {
		return Console{}, control.Errorf(control.CodeAddressInUse, "console: %s is already in use", req.Addr)
	}
	return Console{URL: "http://127.0.0.1:8080/", Addr: "127.0.0.1:8080"}, nil
}

// serveFake serves st's API with a fakeBackend and returns both.
func serveFake(t *testing.T) (*Client, *fakeBackend) {
	st := testState(t)
	f := &fakeBackend{st: st, attached: make(chan [2]router.Tap, 1)}
	return NewClient(serveWith(t, NewServer(st, f, nil)), partner), f
}

func TestBackendEndpoints(t *testing.T) {
	c, f := serveFake(t)
	ctx := context.Background()

	st, err := c.Status(ctx)
	if err != nil || st.Name != "fake" || st.PID != 42 || st.Peerings == nil {
		t.Errorf("Status() = %+v, %v", st, err)
	}
	stats, err := c.Stats(ctx, StatsFilter{})
	if err != nil || len(stats.VPCs) != 1 || stats.VPCs[0].Drops[router.DropNoRoute] != 1 {
		t.Errorf("Stats() = %+v, %v", stats, err)
	}
	sf := StatsFilter{VPC: "vpc 1", Peering: "pcx-1", Host: "a&1"}
	if _, err := c.Stats(ctx, sf); control.ErrorCode(err) != control.CodeVpcNotFound || !strings.Contains(err.Error(), fmt.Sprintf("%+v", sf)) {
		t.Errorf("Stats(%+v) = %v, want the filter to arrive whole", sf, err)
	}
	req := ExplainRequest{Request: explain.Request{Source: "a1", Destination: "10.0.1.10", Protocol: explain.UDP, Port: 53}, Probe: true}
	res, err := c.Explain(ctx, req)
	if err != nil || res.Verdict != explain.Reachable || res.Port != 53 {
		t.Errorf("Explain() = %+v, %v", res, err)
	}
	if _, err := c.Explain(ctx, ExplainRequest{Request: explain.Request{Source: "a1", Destination: "nosuch"}}); control.ErrorCode(err) != control.CodeInvalidParameter {
		t.Errorf("Explain(nosuch) = %v, want InvalidParameter", err)
	}
	if _, err := c.Explain(ctx, ExplainRequest{Request: explain.Request{Source: "a1"}}); control.ErrorCode(err) != control.CodeInvalidParameter {
		t.Errorf("Explain(no destination) = %v, want InvalidParameter", err)
	}
	err = c.Shutdown(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil || f.shutdown != 1 {
		t.Errorf("Shutdown() = %v; backend asked %d times", err, f.shutdown)
	}
	if len(f.explains) != 2 || !reflect.DeepEqual(f.explains[0], req) {
		t.Errorf("backend was asked to explain %+v, want first %+v", f.explains, req)
	}
	for i, a := range f.accounts {
		if a != partner {
			t.Errorf("call %d acted as %q, want %s", i, a, partner)
		}
	}
}

func TestExplainBatchAndIntent(t *testing.T) {
	c, f := serveFake(t)
	ctx := context.Background()
	reqs := []explain.Request{
		{Source: "a1", Destination: "b1"},
		{Source: "a1", Destination: "10.0.1.10", Protocol: explain.TCP, Port: 5201},
		{Source: "b1", Destination: "a1", Protocol: explain.UDP, Port: 53},
	}
	res, err := c.ExplainAll(ctx, reqs, true)
	if err != nil || len(res) != 3 {
		t.Fatalf("ExplainAll() = %v, %v", res, err)
	}
	for i, r := range res {
		if r.Destination.Given != reqs[i].Destination || r.Port != reqs[i].Port || r.Probe == nil || !r.Probe.Agrees {
			t.Errorf("result %d = %+v, want the answer to %+v with a probe", i, r, reqs[i])
		}
	}
	f.mu.Lock()
	if len(f.batches) != 1 || !reflect.DeepEqual(f.batches[0], reqs) || !f.probed[0] {
		t.Errorf("backend asked %+v (probe %v), want %+v with probes", f.batches, f.probed, reqs)
	}
	f.mu.Unlock()

	if _, err := c.ExplainAll(ctx, []explain.Request{{Source: "a1", Destination: "nosuch"}}, false); control.ErrorCode(err) != control.CodeInvalidParameter {
		t.Errorf("ExplainAll(nosuch) = %v, want InvalidParameter", err)
	}
	for _, n := range []int{0, MaxExplainBatch + 1} {
		_, err := c.ExplainAll(ctx, make([]explain.Request, n), false)
		if control.ErrorCode(err) != control.CodeInvalidParameter || !strings.Contains(err.Error(), "a batch holds 1 to 512 requests") {
			t.Errorf("ExplainAll(%d requests) = %v, want InvalidParameter", n, err)
		}
	}
	resp, err := c.send(ctx, http.MethodPost, "/v1/explain", map[string]any{"requests": []map[string]any{{"src": "a1", "dst": "b1", "via": "x"}}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a request with an unknown field: HTTP %d, want 400", resp.StatusCode)
	}

	p, err := c.Intent(ctx)
	if err != nil || p.Topology != "fake" || len(p.Rules) != 1 || p.Rules[0].Line != 3 || len(p.Rules[0].Pairs) != 1 || len(p.Hosts) != 1 {
		t.Errorf("Intent() = %+v, %v", p, err)
	}
	for i, a := range f.accounts {
		if a != partner {
			t.Errorf("call %d acted as %q, want %s", i, a, partner)
		}
	}
}

func TestCaptureStream(t *testing.T) {
	c, f := serveFake(t)
	ctx := context.Background()

	if _, err := c.Capture(ctx, CaptureRequest{Host: "zz"}, new(bytes.Buffer), nil); control.ErrorCode(err) != control.CodeHostNotFound {
		t.Errorf("Capture(unknown host) = %v, want HostNotFound", err)
	}
	if _, err := c.Capture(ctx, CaptureRequest{}, new(bytes.Buffer), nil); control.ErrorCode(err) != control.CodeInvalidParameter {
		t.Errorf("Capture(nothing) = %v, want InvalidParameter", err)
	}

	go func() {
		taps := <-f.attached
		pkt := make([]byte, 28)
		pkt[0] = 0x45
		for range 3 {
			taps[0](pkt)
			time.Sleep(time.Millisecond)
		}
	}()
	var out bytes.Buffer
	started := false
	sum, err := c.Capture(ctx, CaptureRequest{Host: "a1", Count: 3}, &out, func() { started = true })
	if err != nil || !started {
		t.Fatalf("Capture() = %+v, %v (started %v)", sum, err, started)
	}
	if sum.Written != 3 || sum.Interrupted || sum.Bytes != int64(out.Len()) || out.Len() == 0 {
		t.Errorf("Capture() = %+v with %d bytes, want 3 packets written", sum, out.Len())
	}
}

func TestCaptureEndsWhenServerCloses(t *testing.T) {
	st := testState(t)
	f := &fakeBackend{st: st, attached: make(chan [2]router.Tap, 1)}
	srv := NewServer(st, f, nil)
	c := NewClient(serveWith(t, srv), "")
	errc := make(chan error, 1)
	go func() {
		_, err := c.Capture(context.Background(), CaptureRequest{Host: "a1"}, new(bytes.Buffer), nil)
		errc <- err
	}()
	<-f.attached
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Close(ctx); err != nil {
		t.Errorf("Close() = %v, want the capture ended and the server down", err)
	}
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("capture ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("capture still running after the server closed")
	}
}

// TestSlowAndIdleClientsLetGo: connections that never finish a request,
// or hold more than their share, are closed, so the API answers others.
func TestSlowAndIdleClientsLetGo(t *testing.T) {
	st := testState(t)
	srv := NewServer(st, &fakeBackend{st: st}, nil)
	srv.http.ReadHeaderTimeout = 200 * time.Millisecond
	srv.http.ReadTimeout = 300 * time.Millisecond
	srv.http.IdleTimeout = 200 * time.Millisecond
	srv.maxConns = 3
	path := serveWith(t, srv)

	// Take every slot: one that sends nothing, one stuck in its headers,
	// one stuck in its body.
	for _, partial := range []string{"", "GET /v1/account HTTP/1.1\r\nHost: x\r\n", "POST /v1/peerings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"} {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte(partial))
	}
	start := time.Now()
	a, err := NewClient(path, "").WithTimeout(10 * time.Second).Account(context.Background())
	if err != nil || a.ID != me {
		t.Fatalf("Account() with every slot taken = %+v, %v", a, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Account() waited %v for a slot", d)
	}
}
