package console

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/intent"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/store"
	"github.com/vpcsim/vpcsim/topology"
)

const (
	me      = "100000000001"
	partner = "200000000002"
)

// hostile is a name made to break pages that do not escape it.
const hostile = `<script>alert("pwned")</script>'&"中文é`

// testYAML is a topology of two accounts: me with vpc1 and vpc2 (whose
// name is hostile) and vpc4, which overlaps vpc2, and vpc5 in another
// region; partner with vpc3.
var testYAML = `name: ctest
region: wuhan
accounts:
  - {id: "100000000001", name: me}
  - {id: "200000000002", name: "<b>partner</b>"}
vpcs:
  - id: vpc1
    name: VPC1
    cidr: 192.168.0.0/16
    subnets: [{id: subnet-a, cidr: 192.168.1.0/24}]
    hosts: [{name: a1, subnet: subnet-a, ip: 192.168.1.10}]
  - id: vpc2
    name: "<img src=x onerror=alert(2)>"
    cidr: 10.0.0.0/16
    subnets: [{id: subnet-b, cidr: 10.0.1.0/24}]
    hosts: [{name: b1, subnet: subnet-b, ip: 10.0.1.10}]
  - id: vpc3
    account: "200000000002"
    cidr: 172.16.0.0/16
    subnets: [{id: subnet-c, cidr: 172.16.1.0/24}]
    hosts: [{name: c1, subnet: subnet-c, ip: 172.16.1.10}]
  - id: vpc4
    cidr: 10.0.0.0/20
  - id: vpc5
    region: guangzhou
    cidr: 10.9.0.0/16
`

// testBackend is the daemon's part of the API for a control state without
// a data plane: what each account sees, explain on the state, fixed
// counters.
type testBackend struct {
	st  *control.State
	top *topology.Topology
}

func (b *testBackend) Status(acct string) (api.Status, error) {
	a, err := b.st.Account(acct)
	if err != nil {
		return api.Status{}, err
	}
	ps, err := b.st.Peerings(acct, true)
	if err != nil {
		return api.Status{}, err
	}
	s := api.Status{Name: b.top.Name, State: api.StateRunning, Region: b.top.Region, Peerings: ps}
	for _, v := range b.top.VPCs {
		if v.Account != a.ID {
			continue
		}
		vs := api.VPCStatus{ID: v.ID, Name: v.Name, Account: v.Account, Region: v.Region, CIDR: v.CIDR.String()}
		for _, sn := range v.Subnets {
			vs.Subnets = append(vs.Subnets, api.SubnetStatus{ID: sn.ID, CIDR: sn.CIDR.String(), Gateway: sn.Gateway().String(), RouteTable: sn.RouteTable})
		}
		s.VPCs = append(s.VPCs, vs)
		for _, h := range v.Hosts {
			s.Hosts = append(s.Hosts, api.HostStatus{Name: h.Name, VPC: v.ID, Subnet: h.Subnet, IP: h.IP.String()})
		}
	}
	return s, nil
}

func (b *testBackend) Stats(string, api.StatsFilter) (api.Stats, error) {
	return api.Stats{VPCs: []router.VPCStats{{VPC: "vpc1", Received: router.Count{Packets: 7}, Drops: router.Drops{router.DropNoRoute: 3}}}}, nil
}

func (b *testBackend) Explain(_ context.Context, _ string, req api.ExplainRequest) (*explain.Result, error) {
	res, err := explain.Explain(b.st, req.Request)
	if errors.Is(err, explain.ErrInvalidRequest) {
		return nil, control.Errorf(control.CodeInvalidParameter, "%v", err)
	}
	return res, err
}

func (b *testBackend) ExplainAll(_ context.Context, _ string, reqs []explain.Request, _ bool) ([]*explain.Result, error) {
	return explain.ExplainAll(b.st, reqs)
}

func (b *testBackend) Intent(string) (intent.Plan, error) { return intent.NewPlan(b.top), nil }

func (b *testBackend) CapturePoint(string, api.CaptureRequest) (api.CapturePoint, error) {
	return api.CapturePoint{}, control.Errorf(control.CodeInternal, "no data plane")
}

func (b *testBackend) Shutdown(string) error       { return nil }
func (b *testBackend) Save(string) ([]byte, error) { return nil, nil }
func (b *testBackend) ServeConsole(string, api.ConsoleRequest) (api.Console, error) {
	return api.Console{}, control.Errorf(control.CodeInternal, "not here")
}

// fixture is a console of testYAML served over HTTP, the state behind it,
// and a client of its API as the command line would use it.
type fixture struct {
	st      *control.State
	api     http.Handler
	console *Console
	srv     *httptest.Server
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	top, err := topology.Parse("ctest.yaml", []byte(testYAML))
	if err != nil {
		t.Fatal(err)
	}
	st, err := control.New(top, control.Options{Store: store.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	h := api.Handler(st, &testBackend{st: st, top: top}, nil)
	c, err := New(h, top, Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c)
	t.Cleanup(func() {
		srv.Close()
		c.Close()
	})
	return &fixture{st: st, api: h, console: c, srv: srv}
}

// cli returns a client of the fixture's API acting as acct, as the
// command line would.
func (f *fixture) cli(acct string) *api.Client { return api.NewHandlerClient(f.api, acct) }

// browser is an HTTP client with cookies, as a browser of the console.
type browser struct {
	t    testing.TB
	f    *fixture
	hc   *http.Client
	csrf string // the token of the last page
}

func (f *fixture) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: t, f: f, hc: hc}
}

var csrfValue = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches path and returns the status and body.
func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	return b.do(http.MethodGet, path, nil)
}

// post posts form (with the last page's CSRF token unless it has one) and
// returns the status and body; a redirect is followed.
func (b *browser) post(path string, form url.Values) (int, string) {
	b.t.Helper()
	if _, ok := form[csrfField]; !ok {
		form.Set(csrfField, b.csrf)
	}
	status, body := b.do(http.MethodPost, path, form)
	return status, body
}

func (b *browser) do(method, path string, form url.Values) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.f.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusSeeOther && loc != "" {
		status, page := b.get(loc)
		if status != http.StatusOK {
			b.t.Errorf("%s %s -> %s: %d", method, path, loc, status)
		}
		return http.StatusSeeOther, page
	}
	if m := csrfValue.FindStringSubmatch(string(data)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, string(data)
}

// must returns v, failing the test given unless err is nil:
// must(c.Call(...))(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}
