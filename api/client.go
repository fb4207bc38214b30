package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
)

// DefaultTimeout bounds every call of a Client but a capture stream: a
// daemon that does not answer in time is reported, not waited for.
const DefaultTimeout = 30 * time.Second

// Client talks to the control socket of one running topology, or with
// NewHandlerClient to its API within the daemon's process, acting as one
// account. It is safe for concurrent use.
type Client struct {
	socket  string
	account string
	timeout time.Duration
	hc      *http.Client
}

// NewClient returns a client of the daemon listening on socketPath, acting
// as account ("" is the topology's first account).
func NewClient(socketPath, account string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socketPath)
		},
		DisableCompression: true,
	}
	return &Client{socket: socketPath, account: account, timeout: DefaultTimeout, hc: &http.Client{Transport: tr}}
}

// WithTimeout returns a copy of c whose calls time out after d instead of
// DefaultTimeout.
func (c *Client) WithTimeout(d time.Duration) *Client {
	cc := *c
	cc.timeout = d
	return &cc
}

// Close closes the client's idle connections. A client may still be used
// after Close: it connects again.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

// Socket returns the path of the client's socket, "" for a client of
// NewHandlerClient.
func (c *Client) Socket() string { return c.socket }

// where names what the client talks to, for error messages.
func (c *Client) where() string {
	if c.socket == "" {
		return "the in-process API"
	}
	return "the topology at " + c.socket
}

// send sends a request with method to path (which may carry a query) and in
// as its JSON body unless nil, and returns the response.
func (c *Client) send(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://vpcsim"+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.account != "" {
		req.Header.Set(AccountHeader, c.account)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		switch {
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
			return nil, control.Errorf(control.CodeInternal, "%s did not answer within %v", c.where(), c.timeout)
		case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT):
			return nil, control.Errorf(control.CodeTopologyNotRunning, "no daemon answers at %s: %v", c.socket, err)
		}
		return nil, fmt.Errorf("talk to %s: %w", c.where(), err)
	}
	return resp, nil
}

// do sends a request and decodes the JSON reply into out unless nil. An
// error reply is returned as a *control.Error.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.send(ctx, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return replyError(resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read reply: %w", method, path, err)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode reply: %w", method, path, err)
	}
	return nil
}

// replyError returns the error an error reply carries.
func replyError(resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var e control.Error
	if json.Unmarshal(data, &e) == nil && e.Code != "" {
		return &e
	}
	return control.Errorf(control.CodeInternal, "%s %s: %s: %s", resp.Request.Method, resp.Request.URL.Path, resp.Status, bytes.TrimSpace(data))
}

// CreatePeering creates a peering; see control.State.CreatePeering.
func (c *Client) CreatePeering(ctx context.Context, req control.CreatePeeringRequest) (control.Peering, error) {
	var p control.Peering
	err := c.do(ctx, http.MethodPost, "/v1/peerings", req, &p)
	return p, err
}

// AcceptPeering accepts the pending peering id.
func (c *Client) AcceptPeering(ctx context.Context, id string) (control.Peering, error) {
	var p control.Peering
	err := c.do(ctx, http.MethodPost, "/v1/peerings/"+url.PathEscape(id)+"/accept", nil, &p)
	return p, err
}

// RejectPeering rejects the pending peering id.
func (c *Client) RejectPeering(ctx context.Context, id string) (control.Peering, error) {
	var p control.Peering
	err := c.do(ctx, http.MethodPost, "/v1/peerings/"+url.PathEscape(id)+"/reject", nil, &p)
	return p, err
}

// DeletePeering deletes the peering id and the routes over it.
func (c *Client) DeletePeering(ctx context.Context, id string) (control.Peering, error) {
	var p control.Peering
	err := c.do(ctx, http.MethodDelete, "/v1/peerings/"+url.PathEscape(id), nil, &p)
	return p, err
}

// Peerings lists the account's pending and active peerings, or with all
// every one.
func (c *Client) Peerings(ctx context.Context, all bool) ([]control.Peering, error) {
	return c.ListPeerings(ctx, control.PeeringFilter{All: all})
}

// ListPeerings lists the account's peerings that f selects.
func (c *Client) ListPeerings(ctx context.Context, f control.PeeringFilter) ([]control.Peering, error) {
	all := ""
	if f.All {
		all = "true"
	}
	var ps []control.Peering
	err := c.do(ctx, http.MethodGet, "/v1/peerings"+query("all", all, "vpc", f.VPC, "region", f.Region, "status", string(f.Status)), nil, &ps)
	return ps, err
}

// ShowPeering returns the peering id and the account's routes over it.
func (c *Client) ShowPeering(ctx context.Context, id string) (control.PeeringDetail, error) {
	var d control.PeeringDetail
	err := c.do(ctx, http.MethodGet, "/v1/peerings/"+url.PathEscape(id), nil, &d)
	return d, err
}

// AddRoute adds a route to dest over the peering pcx to the route table
// rtb, and says what is likely wrong with it.
func (c *Client) AddRoute(ctx context.Context, rtb, dest, pcx string) (RouteChange, error) {
	var r RouteChange
	err := c.do(ctx, http.MethodPost, "/v1/routes", AddRouteRequest{RouteTable: rtb, Destination: dest, Peering: pcx}, &r)
	return r, err
}

// ReplaceRoute replaces the route to dest in the route table rtb by a route
// to newDest (empty: dest) over the peering pcx, in one change, and says
// what is likely wrong with the new route.
func (c *Client) ReplaceRoute(ctx context.Context, rtb, dest, newDest, pcx string) (RouteChange, error) {
	var r RouteChange
	err := c.do(ctx, http.MethodPut, "/v1/routes", ReplaceRouteRequest{RouteTable: rtb, Destination: dest, NewDestination: newDest, Peering: pcx}, &r)
	return r, err
}

// DeleteRoute deletes the route to dest from the route table rtb and returns it.
func (c *Client) DeleteRoute(ctx context.Context, rtb, dest string) (control.Route, error) {
	var r control.Route
	q := url.Values{"table": {rtb}, "destination": {dest}}
	err := c.do(ctx, http.MethodDelete, "/v1/routes?"+q.Encode(), nil, &r)
	return r, err
}

// Routes lists the account's routes, optionally of one table or one VPC.
func (c *Client) Routes(ctx context.Context, rtb, vpc string) ([]control.Route, error) {
	return c.ListRoutes(ctx, control.RouteFilter{Table: rtb, VPC: vpc})
}

// ListRoutes lists the account's routes that f selects.
func (c *Client) ListRoutes(ctx context.Context, f control.RouteFilter) ([]control.Route, error) {
	var rs []control.Route
	err := c.do(ctx, http.MethodGet, "/v1/routes"+query("table", f.Table, "vpc", f.VPC, "peering", f.Peering), nil, &rs)
	return rs, err
}

// query returns "?k=v&..." of the pairs whose value is set, or "".
func query(kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return ""
	}
	return "?" + q.Encode()
}

// Accounts lists the topology's accounts, the default one first.
func (c *Client) Accounts(ctx context.Context) ([]control.Account, error) {
	var as []control.Account
	err := c.do(ctx, http.MethodGet, "/v1/accounts", nil, &as)
	return as, err
}

// Account returns the acting account.
func (c *Client) Account(ctx context.Context) (control.Account, error) {
	var a control.Account
	err := c.do(ctx, http.MethodGet, "/v1/account", nil, &a)
	return a, err
}

// Status describes the running topology as the acting account sees it.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, &s)
	return s, err
}

// Stats returns the data plane's counters that f selects.
func (c *Client) Stats(ctx context.Context, f StatsFilter) (Stats, error) {
	var s Stats
	err := c.do(ctx, http.MethodGet, "/v1/stats"+query("vpc", f.VPC, "peering", f.Peering, "host", f.Host), nil, &s)
	return s, err
}

// Explain explains whether and why req.Source reaches req.Destination.
func (c *Client) Explain(ctx context.Context, req ExplainRequest) (*explain.Result, error) {
	q := url.Values{"src": {req.Source}, "dst": {req.Destination}}
	if req.Protocol != "" {
		q.Set("protocol", string(req.Protocol))
	}
	if req.Port != 0 {
		q.Set("port", strconv.Itoa(req.Port))
	}
	if req.Probe {
		q.Set("probe", "true")
	}
	var res explain.Result
	if err := c.do(ctx, http.MethodGet, "/v1/explain?"+q.Encode(), nil, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Save returns the running topology, with every change made since launch,
// as a topology file.
func (c *Client) Save(ctx context.Context) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := c.send(ctx, http.MethodGet, "/v1/save", nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, replyError(resp)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 64<<20))
}

// ServeConsole asks the daemon to serve the web console on addr (see
// ConsoleRequest) and returns where it serves.
func (c *Client) ServeConsole(ctx context.Context, addr string) (Console, error) {
	var out Console
	err := c.do(ctx, http.MethodPost, "/v1/console", ConsoleRequest{Addr: addr}, &out)
	return out, err
}

// Shutdown asks the daemon to tear the topology down; it returns once the
// daemon has accepted, before the topology is down.
func (c *Client) Shutdown(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/shutdown", nil, nil)
}
