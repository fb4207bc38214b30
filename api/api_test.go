package api

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
)

const (
	me      = "100000000001"
	partner = "200000000002"
)

// testState returns a control state of testTopology.
func testState(t testing.TB) *control.State {
	t.Helper()
	st, err := control.New(testTopology(), control.Options{})
	if err != nil {
		t.Fatalf("control.New: %v", err)
	}
	return st
}

// testTopology returns a topology of three VPCs: vpc1 and vpc2 of me, vpc3
// of partner, all in one region, with a second table rtb-1a in vpc1.
func testTopology() *topology.Topology {
	vpc := func(id, acct, cidr string, tables ...string) topology.VPC {
		v := topology.VPC{ID: id, Account: acct, Region: "r1", CIDR: netip.MustParsePrefix(cidr)}
		v.RouteTables = []topology.RouteTable{{ID: v.DefaultRouteTable()}}
		for _, rt := range tables {
			v.RouteTables = append(v.RouteTables, topology.RouteTable{ID: rt})
		}
		return v
	}
	vpc1 := vpc("vpc1", me, "10.1.0.0/16", "rtb-1a")
	vpc1.Subnets = []topology.Subnet{{ID: "s1a", CIDR: netip.MustParsePrefix("10.1.1.0/24"), RouteTable: "rtb-1a"}}
	top := &topology.Topology{
		File: "api.yaml", Name: "api", PeeringExpiry: time.Hour, PeeringsPerVPC: 10,
		Accounts: []topology.Account{{ID: me, Name: "me"}, {ID: partner, Name: "partner"}},
		VPCs:     []topology.VPC{vpc1, vpc("vpc2", me, "10.2.0.0/16"), vpc("vpc3", partner, "10.3.0.0/16")},
	}
	return top
}

// shortTempDir returns a temporary directory short enough for socket paths.
func shortTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "vpcsim-api")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// serve serves st's API on a socket in a temporary directory and returns
// the socket's path.
func serve(t testing.TB, st *control.State) string {
	t.Helper()
	return serveWith(t, NewServer(st, &fakeBackend{st: st}, nil))
}

// serveWith runs srv on a socket in a temporary directory until the test
// ends (or srv is closed), and returns the socket's path.
func serveWith(t testing.TB, srv *Server) string {
	t.Helper()
	path := filepath.Join(shortTempDir(t), "api.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatalf("Listen(%q) = %v", path, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(l)
	}()
	t.Cleanup(func() {
		srv.Close(context.Background())
		<-done
	})
	return path
}

func TestRoundTrip(t *testing.T) {
	st := testState(t)
	sock := serve(t, st)
	ctx := context.Background()
	mine, theirs := NewClient(sock, ""), NewClient(sock, partner)

	a, err := theirs.Account(ctx)
	if err != nil || a != (control.Account{ID: partner, Name: "partner"}) {
		t.Fatalf("Account() = %+v, %v", a, err)
	}
	a, err = mine.Account(ctx)
	if err != nil || a.ID != me {
		t.Fatalf("Account() default = %+v, %v", a, err)
	}

	same, err := mine.CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", Name: "PeerConn"})
	if err != nil || same.Status != control.StatusActive || same.Name != "PeerConn" {
		t.Fatalf("CreatePeering(same account) = %+v, %v", same, err)
	}
	cross, err := mine.CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner, ID: "pcx-x"})
	if err != nil || cross.Status != control.StatusPending || cross.ID != "pcx-x" || cross.ExpiresAt == nil {
		t.Fatalf("CreatePeering(cross account) = %+v, %v", cross, err)
	}
	if want, _ := st.Peering(cross.ID); !reflect.DeepEqual(cross, want) {
		t.Errorf("CreatePeering over the API = %+v, state has %+v", cross, want)
	}
	ps, err := theirs.Peerings(ctx, false)
	if err != nil || len(ps) != 1 || ps[0].ID != "pcx-x" {
		t.Fatalf("Peerings(partner) = %+v, %v", ps, err)
	}
	acc, err := theirs.AcceptPeering(ctx, "pcx-x")
	if err != nil || acc.Status != control.StatusActive {
		t.Fatalf("AcceptPeering = %+v, %v", acc, err)
	}
	rc, err := mine.AddRoute(ctx, "rtb-1a", "10.3.0.0/16", "pcx-x")
	r := rc.Route
	if want := (control.Route{RouteTable: "rtb-1a", Destination: "10.3.0.0/16", NextHopType: "peering", NextHop: "pcx-x"}); err != nil || r != want || len(rc.Warnings) != 0 {
		t.Fatalf("AddRoute = %+v, %v; want %+v", rc, err, want)
	}
	rs, err := mine.Routes(ctx, "rtb-1a", "")
	if err != nil || len(rs) != 2 || rs[0].NextHopType != "local" || rs[1] != r {
		t.Fatalf("Routes(rtb-1a) = %+v, %v", rs, err)
	}
	rs, err = mine.Routes(ctx, "", "vpc2")
	if err != nil || len(rs) != 1 || rs[0].RouteTable != "vpc2-default" {
		t.Fatalf("Routes(vpc2) = %+v, %v", rs, err)
	}
	rs, err = mine.Routes(ctx, "", "")
	if err != nil || len(rs) != 4 {
		t.Fatalf("Routes() = %+v, %v; want 4", rs, err)
	}
	d, err := mine.ShowPeering(ctx, "pcx-x")
	wantRel := []control.RelatedRoute{{RouteTable: "rtb-1a", VPC: "vpc1", Destination: "10.3.0.0/16", Subnets: []string{"s1a"}}}
	if err != nil || d.ID != "pcx-x" || d.Status != control.StatusActive || !reflect.DeepEqual(d.Routes, wantRel) {
		t.Fatalf("ShowPeering = %+v, %v; want routes %+v", d, err, wantRel)
	}
	rc, err = mine.ReplaceRoute(ctx, "rtb-1a", "10.3.0.0/16", "10.3.0.0/17", "pcx-x")
	if want := (control.Route{RouteTable: "rtb-1a", Destination: "10.3.0.0/17", NextHopType: "peering", NextHop: "pcx-x"}); err != nil || rc.Route != want {
		t.Fatalf("ReplaceRoute = %+v, %v; want %+v", rc, err, want)
	}
	if _, err := mine.ReplaceRoute(ctx, "rtb-1a", "10.3.0.0/16", "", "pcx-x"); control.ErrorCode(err) != control.CodeRouteNotFound {
		t.Fatalf("ReplaceRoute of the old destination = %v, want RouteNotFound", err)
	}
	rc, err = mine.ReplaceRoute(ctx, "rtb-1a", "10.3.0.0/17", "10.3.0.0/16", "pcx-x")
	if err != nil || rc.Route != r {
		t.Fatalf("ReplaceRoute back = %+v, %v; want %+v", rc, err, r)
	}
	del, err := mine.DeleteRoute(ctx, "rtb-1a", "10.3.0.0/16")
	if err != nil || del != r {
		t.Fatalf("DeleteRoute = %+v, %v", del, err)
	}
	if _, err := mine.AddRoute(ctx, "rtb-1a", "10.3.0.0/16", "pcx-x"); err != nil {
		t.Fatal(err)
	}
	gone, err := theirs.DeletePeering(ctx, "pcx-x")
	if err != nil || gone.Status != control.StatusDeleted {
		t.Fatalf("DeletePeering = %+v, %v", gone, err)
	}
	if rs, _ := mine.Routes(ctx, "rtb-1a", ""); len(rs) != 1 {
		t.Errorf("after DeletePeering, Routes(rtb-1a) = %+v, want only local", rs)
	}
	third, err := mine.CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc3", PeerAccount: partner})
	if err != nil {
		t.Fatal(err)
	}
	if rej, err := theirs.RejectPeering(ctx, third.ID); err != nil || rej.Status != control.StatusRejected {
		t.Fatalf("RejectPeering = %+v, %v", rej, err)
	}
	ps, err = mine.Peerings(ctx, false)
	if err != nil || len(ps) != 1 || ps[0].ID != same.ID {
		t.Errorf("Peerings(me) = %+v, %v; want only %s", ps, err, same.ID)
	}
	ps, err = mine.Peerings(ctx, true)
	if err != nil || len(ps) != 3 {
		t.Errorf("Peerings(me, all) = %+v, %v; want 3", ps, err)
	}
}

// rawStatus sends a request over the socket and returns the HTTP status and
// the decoded error body.
func rawStatus(t *testing.T, sock, method, path, account, body string) (int, control.Error) {
	t.Helper()
	c := NewClient(sock, account)
	req, err := http.NewRequest(method, "http://vpcsim"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if account != "" {
		req.Header.Set(AccountHeader, account)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e control.Error
	if resp.StatusCode/100 != 2 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s %s: error Content-Type %q", method, path, ct)
		}
		if err := decodeJSON(resp, &e); err != nil {
			t.Errorf("%s %s: error body: %v", method, path, err)
		}
	}
	return resp.StatusCode, e
}

func TestErrorMapping(t *testing.T) {
	st := testState(t)
	if _, err := st.CreatePeering(me, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner, ID: "pcx-p"}); err != nil {
		t.Fatal(err)
	}
	sock := serve(t, st)
	tests := []struct {
		name, method, path, account, body string
		status                            int
		code                              control.Code
	}{
		{"create ok", "POST", "/v1/peerings", "", `{"vpc":"vpc1","peer_vpc":"vpc2"}`, 201, ""},
		{"unknown vpc", "POST", "/v1/peerings", "", `{"vpc":"vpc9","peer_vpc":"vpc2"}`, 404, control.CodeVpcNotFound},
		{"unknown account", "GET", "/v1/account", "999", "", 404, control.CodeAccountNotFound},
		{"peer with itself", "POST", "/v1/peerings", "", `{"vpc":"vpc1","peer_vpc":"vpc1"}`, 400, control.CodeInvalidParameter},
		{"vpc of another account", "POST", "/v1/peerings", "", `{"vpc":"vpc3","peer_vpc":"vpc1","peer_account":"` + me + `"}`, 404, control.CodeVpcNotFound},
		{"already exists as partner", "POST", "/v1/peerings", partner, `{"vpc":"vpc3","peer_vpc":"vpc1","peer_account":"` + me + `"}`, 409, control.CodePeeringAlreadyExists},
		{"bad json", "POST", "/v1/peerings", "", `{"vpc":`, 400, control.CodeInvalidParameter},
		{"unknown field", "POST", "/v1/peerings", "", `{"vpc":"vpc1","peer":"vpc2"}`, 400, control.CodeInvalidParameter},
		{"trailing data", "POST", "/v1/routes", "", `{"route_table":"rtb-1a","destination":"10.2.0.0/16","peering":"pcx-p"} garbage`, 400, control.CodeInvalidParameter},
		{"a second object", "POST", "/v1/routes", "", `{"route_table":"rtb-1a","destination":"10.2.0.0/16","peering":"pcx-p"}{}`, 400, control.CodeInvalidParameter},
		{"no such endpoint", "GET", "/v1/nothing", "", "", 404, control.CodeInvalidParameter},
		{"no such method", "PUT", "/v1/peerings", "", "", 405, control.CodeInvalidParameter},
		{"wrong method", "DELETE", "/v1/status", "", "", 405, control.CodeInvalidParameter},
		{"accept by requester", "POST", "/v1/peerings/pcx-p/accept", me, "", 403, control.CodeNotPermitted},
		{"accept unknown", "POST", "/v1/peerings/pcx-zz/accept", partner, "", 404, control.CodePeeringNotFound},
		{"accept ok", "POST", "/v1/peerings/pcx-p/accept", partner, "", 200, ""},
		{"accept again", "POST", "/v1/peerings/pcx-p/accept", partner, "", 409, control.CodeInvalidState},
		{"show", "GET", "/v1/peerings/pcx-p", partner, "", 200, ""},
		{"bad all", "GET", "/v1/peerings?all=maybe", "", "", 400, control.CodeInvalidParameter},
		{"route ok", "POST", "/v1/routes", "", `{"route_table":"rtb-1a","destination":"10.3.0.0/16","peering":"pcx-p"}`, 201, ""},
		{"route again", "POST", "/v1/routes", "", `{"route_table":"rtb-1a","destination":"10.3.0.0/16","peering":"pcx-p"}`, 409, control.CodeRouteAlreadyExists},
		{"route local", "POST", "/v1/routes", "", `{"route_table":"rtb-1a","destination":"10.1.0.0/24","peering":"pcx-p"}`, 400, control.CodeDestinationOverlapsLocal},
		{"route bad cidr", "POST", "/v1/routes", "", `{"route_table":"rtb-1a","destination":"10.1.0.0/40","peering":"pcx-p"}`, 400, control.CodeInvalidParameter},
		{"route table of another account", "POST", "/v1/routes", partner, `{"route_table":"rtb-1a","destination":"10.9.0.0/16","peering":"pcx-p"}`, 404, control.CodeRouteTableNotFound},
		{"delete missing route", "DELETE", "/v1/routes?table=rtb-1a&destination=10.9.0.0/16", "", "", 404, control.CodeRouteNotFound},
		{"delete route", "DELETE", "/v1/routes?table=rtb-1a&destination=10.3.0.0/16", "", "", 200, ""},
		{"routes of another vpc", "GET", "/v1/routes?vpc=vpc3", "", "", 404, control.CodeVpcNotFound},
		{"delete", "DELETE", "/v1/peerings/pcx-p", partner, "", 200, ""},
		{"route over deleted", "POST", "/v1/routes", "", `{"route_table":"rtb-1a","destination":"10.3.0.0/16","peering":"pcx-p"}`, 409, control.CodePeeringNotActive},
		{"delete again", "DELETE", "/v1/peerings/pcx-p", me, "", 409, control.CodeInvalidState},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, e := rawStatus(t, sock, tt.method, tt.path, tt.account, tt.body)
			if status != tt.status || e.Code != tt.code {
				t.Errorf("%s %s = %d %q (%s), want %d %q", tt.method, tt.path, status, e.Code, e.Message, tt.status, tt.code)
			}
		})
	}
}

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		code control.Code
		want int
	}{
		{control.CodeCrossRegionNotSupported, 400},
		{control.CodeCidrOverlap, 400},
		{control.CodePeeringAlreadyExists, 409},
		{control.CodePeeringLimitExceeded, 409},
		{control.CodeNotPermitted, 403},
		{control.CodeInvalidState, 409},
		{control.CodePeeringNotFound, 404},
		{control.CodeVpcNotFound, 404},
		{control.CodeRouteTableNotFound, 404},
		{control.CodeAccountNotFound, 404},
		{control.CodeRouteNotFound, 404},
		{control.CodeRouteAlreadyExists, 409},
		{control.CodeDestinationOverlapsLocal, 400},
		{control.CodePeeringNotActive, 409},
		{control.CodeInvalidParameter, 400},
		{control.CodeHostNotFound, 404},
		{control.CodeTopologyNotRunning, 404},
		{control.CodeMissingParameter, 400},
		{control.CodeAlreadyRunning, 409},
		{control.CodeStateMismatch, 409},
		{control.CodeInternal, 500},
		{"Whatever", 500},
	}
	for _, tt := range tests {
		if got := HTTPStatus(tt.code); got != tt.want {
			t.Errorf("HTTPStatus(%q) = %d, want %d", tt.code, got, tt.want)
		}
	}
	// One table holds them all: a new code must be given its status.
	for _, c := range control.Codes() {
		if _, ok := httpStatus[c]; !ok {
			t.Errorf("code %s has no HTTP status", c)
		}
	}
	if len(httpStatus) != len(control.Codes()) {
		t.Errorf("the status table has %d codes, control.Codes %d", len(httpStatus), len(control.Codes()))
	}
}

func TestClientErrors(t *testing.T) {
	sock := serve(t, testState(t))
	ctx := context.Background()
	c := NewClient(sock, partner)

	_, err := c.AcceptPeering(ctx, "pcx-nope")
	var ce *control.Error
	if !errors.As(err, &ce) || ce.Code != control.CodePeeringNotFound {
		t.Fatalf("AcceptPeering(unknown) = %v, want a PeeringNotFound *control.Error", err)
	}
	if want := `PeeringNotFound: peering "pcx-nope" not found in account ` + partner; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}

	// An endpoint the daemon does not have: a JSON error too.
	err = c.do(ctx, "GET", "/v1/nothing", nil, nil)
	if control.ErrorCode(err) != control.CodeInvalidParameter || !strings.Contains(err.Error(), "no endpoint GET /v1/nothing") {
		t.Errorf("do(GET /v1/nothing) = %v, want InvalidParameter naming the endpoint", err)
	}

	// No daemon.
	missing := filepath.Join(shortTempDir(t), "gone.sock")
	_, err = NewClient(missing, "").Account(ctx)
	if err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("Account() without a daemon = %v, want an error naming %s", err, missing)
	}

	// A cancelled context.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Account(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Account(cancelled) = %v, want context.Canceled", err)
	}
}

func TestListen(t *testing.T) {
	dir := shortTempDir(t)
	path := filepath.Join(dir, "sub", "t.sock")

	l, err := Listen(path)
	if err != nil {
		t.Fatalf("Listen(%q) = %v", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode = %v, want a socket with 0600", fi.Mode())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "sub", ".listen-*")); len(left) > 0 {
		t.Errorf("Listen left %v behind", left)
	}

	// A live socket is not taken over.
	live := l
	go func() {
		for {
			c, err := live.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	if _, err := Listen(path); !errors.Is(err, ErrSocketInUse) {
		t.Errorf("Listen(live socket) = %v, want ErrSocketInUse", err)
	}
	l.Close()

	// A stale socket (left by a daemon that died) is replaced.
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	stale.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("stale socket missing: %v", err)
	}
	l, err = Listen(path)
	if err != nil {
		t.Fatalf("Listen(stale socket) = %v", err)
	}
	l.Close()

	// A regular file is left alone.
	file := filepath.Join(dir, "file.sock")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Listen(file); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen(regular file) = %v, want a not-a-socket error", err)
	}
}

func TestSocketPath(t *testing.T) {
	t.Setenv(RunDirEnv, "")
	if got, want := SocketPath("demo"), "/run/vpcsim/demo.sock"; got != want {
		t.Errorf("SocketPath(demo) = %q, want %q", got, want)
	}
	t.Setenv(RunDirEnv, "/tmp/x")
	if got, want := SocketPath("demo"), "/tmp/x/demo.sock"; got != want {
		t.Errorf("SocketPath(demo) with %s = %q, want %q", RunDirEnv, got, want)
	}
}

func decodeJSON(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
