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

	"github.com/vpcsim/vpcsim/control"
)

// Client talks to the control socket of one running topology, acting as one
// account. It is safe for concurrent use.
type Client struct {
	socket  string
	account string
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
	return &Client{socket: socketPath, account: account, hc: &http.Client{Transport: tr}}
}

// Socket returns the path of the client's socket.
func (c *Client) Socket() string { return c.socket }

// Do sends a request with method to path (which may carry a query), in as
// its JSON body unless nil, and decodes the JSON reply into out unless nil.
// An error reply is returned as a *control.Error.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://vpcsim"+path, body)
	if err != nil {
		return err
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
		return fmt.Errorf("talk to the topology at %s: %w", c.socket, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read reply: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e control.Error
		if json.Unmarshal(data, &e) == nil && e.Code != "" {
			return &e
		}
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode reply: %w", method, path, err)
	}
	return nil
}

// CreatePeering creates a peering; see control.State.CreatePeering.
func (c *Client) CreatePeering(ctx context.Context, req control.CreatePeeringRequest) (control.Peering, error) {
	var p control.Peering
	err := c.Do(ctx, http.MethodPost, "/v1/peerings", req, &p)
	return p, err
}

// AcceptPeering accepts the pending peering id.
func (c *Client) AcceptPeering(ctx context.Context, id string) (control.Peering, error) {
	var p control.Peering
	err := c.Do(ctx, http.MethodPost, "/v1/peerings/"+url.PathEscape(id)+"/accept", nil, &p)
	return p, err
}

// RejectPeering rejects the pending peering id.
func (c *Client) RejectPeering(ctx context.Context, id string) (control.Peering, error) {
	var p control.Peering
	err := c.Do(ctx, http.MethodPost, "/v1/peerings/"+url.PathEscape(id)+"/reject", nil, &p)
	return p, err
}

// DeletePeering deletes the peering id and the routes over it.
func (c *Client) DeletePeering(ctx context.Context, id string) (control.Peering, error) {
	var p control.Peering
	err := c.Do(ctx, http.MethodDelete, "/v1/peerings/"+url.PathEscape(id), nil, &p)
	return p, err
}

// Peerings lists the account's pending and active peerings, or with all
// every one.
func (c *Client) Peerings(ctx context.Context, all bool) ([]control.Peering, error) {
	var ps []control.Peering
	path := "/v1/peerings"
	if all {
		path += "?all=" + strconv.FormatBool(all)
	}
	err := c.Do(ctx, http.MethodGet, path, nil, &ps)
	return ps, err
}

// ShowPeering returns the peering id and the account's routes over it.
func (c *Client) ShowPeering(ctx context.Context, id string) (control.PeeringDetail, error) {
	var d control.PeeringDetail
	err := c.Do(ctx, http.MethodGet, "/v1/peerings/"+url.PathEscape(id), nil, &d)
	return d, err
}

// AddRoute adds a route to dest over the peering pcx to the route table rtb.
func (c *Client) AddRoute(ctx context.Context, rtb, dest, pcx string) (control.Route, error) {
	var r control.Route
	err := c.Do(ctx, http.MethodPost, "/v1/routes", AddRouteRequest{RouteTable: rtb, Destination: dest, Peering: pcx}, &r)
	return r, err
}

// DeleteRoute deletes the route to dest from the route table rtb and returns it.
func (c *Client) DeleteRoute(ctx context.Context, rtb, dest string) (control.Route, error) {
	var r control.Route
	q := url.Values{"table": {rtb}, "destination": {dest}}
	err := c.Do(ctx, http.MethodDelete, "/v1/routes?"+q.Encode(), nil, &r)
	return r, err
}

// Routes lists the account's routes, optionally of one table or one VPC.
func (c *Client) Routes(ctx context.Context, rtb, vpc string) ([]control.Route, error) {
	var rs []control.Route
	q := url.Values{}
	if rtb != "" {
		q.Set("table", rtb)
	}
	if vpc != "" {
		q.Set("vpc", vpc)
	}
	path := "/v1/routes"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	err := c.Do(ctx, http.MethodGet, path, nil, &rs)
	return rs, err
}

// Account returns the acting account.
func (c *Client) Account(ctx context.Context) (control.Account, error) {
	var a control.Account
	err := c.Do(ctx, http.MethodGet, "/v1/account", nil, &a)
	return a, err
}
