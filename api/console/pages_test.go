package console

import (
	"bufio"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/router"
)

// TestTextComplete: both languages say everything, and name every code,
// status, explanation, drop reason and operation the product has.
func TestTextComplete(t *testing.T) {
	for _, tx := range texts {
		v := reflect.ValueOf(tx).Elem()
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Type.Kind() == reflect.String && v.Field(i).String() == "" {
				t.Errorf("%s: %s is empty", tx.Lang, f.Name)
			}
		}
		for _, c := range control.Codes() {
			if tx.Codes[c] == "" {
				t.Errorf("%s: no text for code %s", tx.Lang, c)
			}
		}
		for _, s := range []control.Status{control.StatusPending, control.StatusActive, control.StatusRejected, control.StatusExpired, control.StatusDeleted} {
			if tx.Statuses[s] == "" {
				t.Errorf("%s: no name for status %s", tx.Lang, s)
			}
		}
		for _, c := range []string{explain.CodeNoRoute, explain.CodeMissingReturnRoute, explain.CodePeeringNotActive, explain.CodeNotTransitive,
			explain.CodeNoHost, explain.CodeGatewayProtocol, explain.CodeUnknownSource, explain.CodeOtherHost} {
			if tx.Explains[c] == "" {
				t.Errorf("%s: no text for explain code %s", tx.Lang, c)
			}
		}
		for _, v := range []string{string(explain.Reachable), string(explain.Unreachable), string(explain.NotApplicable), explain.HopOK, explain.HopBlocked} {
			if tx.Verdicts[v] == "" {
				t.Errorf("%s: no name for verdict %s", tx.Lang, v)
			}
		}
		for _, r := range router.DropReasons() {
			if tx.DropsBy[r.String()] == "" {
				t.Errorf("%s: no name for drop reason %s", tx.Lang, r)
			}
		}
		for _, op := range []control.Op{control.OpCreatePeering, control.OpAcceptPeering, control.OpRejectPeering, control.OpDeletePeering,
			control.OpExpirePeering, control.OpAddRoute, control.OpDeleteRoute, control.OpReplaceRoute, control.OpLaunch, control.OpResume} {
			if tx.Ops[op] == "" {
				t.Errorf("%s: no name for operation %s", tx.Lang, op)
			}
		}
	}
}

// TestPages renders every page in both languages, with the documentation's
// labels and the topology's data.
func TestPages(t *testing.T) {
	f := newFixture(t)
	cli := f.cli("")
	ctx := context.Background()
	same := must(cli.CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", Name: "PeerConn"}))(t)
	must(cli.AddRoute(ctx, "vpc1-default", "10.0.1.0/24", same.ID))(t)
	cross := must(cli.CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner, Name: "CrossConn"}))(t)
	pages := []struct {
		path string
		want func(tx *Text) []string
	}{
		{"/vpcs", func(tx *Text) []string {
			return []string{tx.VPCsTitle, "vpc1", "VPC1", "192.168.0.0/16", "subnet-a", "a1", "192.168.1.10", tx.RegionName("wuhan")}
		}},
		{"/subnets", func(tx *Text) []string {
			return []string{tx.RouteTable, "subnet-b", "10.0.1.0/24", `href="/route-tables/vpc2-default"`, "10.0.1.1"}
		}},
		{"/route-tables", func(tx *Text) []string { return []string{"vpc1-default", "vpc4-default", tx.AssociatedSubnets} }},
		{"/route-tables/vpc1-default", func(tx *Text) []string {
			return []string{tx.NewRoute, tx.EditRoutes, "10.0.1.0/24", "192.168.0.0/16", tx.HopLocal, tx.HopPeering, same.ID}
		}},
		{"/route-tables/vpc1-default?dialog=new", func(tx *Text) []string {
			return []string{`id="new-route-dialog"`, tx.Destination, tx.NextHopType, tx.NextHop, ">" + same.ID + " (PeerConn)<"}
		}},
		{"/route-tables/vpc1-default?edit=1", func(tx *Text) []string {
			return []string{`id="edit-routes"`, `name="destination0" value="10.0.1.0/24"`, tx.Save}
		}},
		{"/peerings", func(tx *Text) []string {
			return []string{tx.New, tx.LocalVPC, tx.PeerVPC, tx.PeerAccount, tx.Bandwidth, tx.Unlimited, tx.CreatedAt, tx.ExpiresAt,
				same.ID, cross.ID, "PeerConn", "CrossConn", "172.16.0.0/16", partner, tx.StatusName(control.StatusPending), tx.StatusName(control.StatusActive)}
		}},
		{"/peerings?region=wuhan&vpc=vpc1&dialog=new", func(tx *Text) []string {
			return []string{`id="new-peering-dialog"`, tx.Name, tx.Region, tx.LocalNetwork, tx.PeerRegion, tx.PeerAccountType, tx.MyAccount,
				tx.OtherAccount, tx.PeerNetwork, tx.PeerAccountID, tx.PeerVPCID, tx.Unlimited, tx.BandwidthNote}
		}},
		{"/peerings?dialog=delete&id=" + same.ID, func(tx *Text) []string {
			return []string{`id="delete-dialog"`, tx.DeleteQuestion, tx.DeleteEffect, `action="/peerings/` + same.ID + `/delete"`}
		}},
		{"/peerings/" + same.ID, func(tx *Text) []string {
			return []string{tx.BasicInfo, tx.History, tx.RelatedRoutes, "vpc1-default", "10.0.1.0/24", "subnet-a", tx.ExplainTitle,
				`id="explain-verdict"`, explain.CodeMissingReturnRoute}
		}},
		{"/reach", func(tx *Text) []string {
			return []string{tx.Matrix, tx.Drops, tx.Graph, `data-src="a1" data-dst="b1"`, "<svg", "flowchart LR", tx.DropName("no_route")}
		}},
		{"/explain?src=a1&dst=b1", func(tx *Text) []string {
			return []string{tx.Forward, tx.Return, explain.CodeMissingReturnRoute, tx.ExplainText(explain.CodeMissingReturnRoute)}
		}},
		{"/log", func(tx *Text) []string {
			return []string{tx.LogTitle, tx.OpName(control.OpCreatePeering), tx.OpName(control.OpAddRoute), same.ID}
		}},
	}
	for _, tx := range texts {
		b := f.browser(t)
		b.get("/vpcs")
		b.post("/lang", url.Values{"lang": {tx.Lang}})
		for _, p := range pages {
			t.Run(tx.Lang+p.path, func(t *testing.T) {
				status, body := b.get(p.path)
				if status != http.StatusOK {
					t.Fatalf("GET %s = %d:\n%s", p.path, status, body)
				}
				for _, w := range p.want(tx) {
					if !strings.Contains(body, html.EscapeString(w)) && !strings.Contains(body, w) {
						t.Errorf("GET %s (%s): no %q", p.path, tx.Lang, w)
					}
				}
				if !strings.Contains(body, `<html lang="`) || !strings.Contains(body, tx.Brand) {
					t.Errorf("GET %s: not a page of the console in %s", p.path, tx.Lang)
				}
			})
		}
	}
}

// TestNoChangeOnGet: no page, whatever its query, changes the state.
func TestNoChangeOnGet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := must(f.cli("").CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner}))(t)
	before := f.st.Version()
	b := f.browser(t)
	for _, path := range []string{
		"/", "/vpcs", "/subnets", "/route-tables", "/route-tables/vpc1-default?dialog=new&destination=10.3.0.0/16&next_hop=" + p.ID,
		"/route-tables/vpc1-default?edit=1", "/peerings?dialog=new&vpc=vpc1&peer_vpc=vpc2&name=x", "/peerings?dialog=delete&id=" + p.ID,
		"/peerings/" + p.ID, "/peerings/" + p.ID + "/accept", "/peerings/" + p.ID + "/reject", "/peerings/" + p.ID + "/delete",
		"/peerings/" + p.ID + "?dialog=delete", "/reach", "/reach/probe", "/explain?src=a1&dst=c1", "/log",
		"/route-tables/vpc1-default/routes?destination=10.3.0.0/16&next_hop=" + p.ID,
	} {
		b.get(path)
	}
	if got := f.st.Version(); got != before {
		t.Errorf("GETs changed the state: version %d, was %d", got, before)
	}
	for path, want := range map[string]int{"/peerings/" + p.ID + "/accept": 405, "/reach/probe": 405, "/nosuch": 404, "/peerings/" + p.ID: 200} {
		if status, _ := b.get(path); status != want {
			t.Errorf("GET %s = %d, want %d", path, status, want)
		}
	}
	if got, _ := f.st.Peering(p.ID); got.Status != control.StatusPending {
		t.Errorf("after GETs, %s is %s", p.ID, got.Status)
	}
}

// TestCSRF: a state-changing request without the session's token is
// refused, and changes nothing; with it, the change is made.
func TestCSRF(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := must(f.cli("").CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"}))(t)
	b := f.browser(t)
	b.get("/peerings")
	other := f.browser(t)
	other.get("/peerings")
	if b.csrf == "" || other.csrf == "" || b.csrf == other.csrf {
		t.Fatalf("CSRF tokens %q and %q: want two different ones", b.csrf, other.csrf)
	}
	tests := []struct {
		name    string
		form    url.Values
		headers map[string]string
	}{
		{"none", url.Values{csrfField: {""}}, nil},
		{"wrong", url.Values{csrfField: {"AAAA" + b.csrf[4:]}}, nil},
		{"another session's", url.Values{csrfField: {other.csrf}}, nil},
		{"from another site", url.Values{}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"from another origin", url.Values{}, map[string]string{"Origin": "http://evil.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.st.Version()
			form := tt.form
			if _, ok := form[csrfField]; !ok {
				form.Set(csrfField, b.csrf)
			}
			req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/peerings/"+p.ID+"/delete", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			resp, err := b.hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST delete with %s token = %d, want 403", tt.name, resp.StatusCode)
			}
			if got, _ := f.st.Peering(p.ID); got.Status != control.StatusActive || f.st.Version() != before {
				t.Errorf("POST delete with %s token changed the state: %s is %s", tt.name, p.ID, got.Status)
			}
		})
	}
	// Every other action is guarded the same way.
	for _, path := range []string{"/account", "/lang", "/peerings", "/peerings/" + p.ID + "/accept", "/peerings/" + p.ID + "/reject",
		"/route-tables/vpc1-default/routes", "/route-tables/vpc1-default/routes/delete", "/route-tables/vpc1-default/edit", "/reach/probe", "/explain"} {
		if status, _ := b.post(path, url.Values{csrfField: {""}, "destination": {"10.0.0.0/16"}, "next_hop": {p.ID}, "vpc": {"vpc1"}, "peer_vpc": {"vpc4"}}); status != http.StatusForbidden {
			t.Errorf("POST %s without token = %d, want 403", path, status)
		}
	}
	if status, body := b.post("/peerings/"+p.ID+"/delete", url.Values{"back": {"/peerings"}}); status != http.StatusSeeOther || !strings.Contains(body, fmt.Sprintf(b.textOf().DeletedF, p.ID)) {
		t.Errorf("POST delete with the token = %d, want 303 to a page saying it is deleted:\n%s", status, body)
	}
	if got, _ := f.st.Peering(p.ID); got.Status != control.StatusDeleted {
		t.Errorf("after POST delete with the token, %s is %s", p.ID, got.Status)
	}
}

// textOf returns the language of the browser's pages (its cookie's).
func (b *browser) textOf() *Text {
	u, _ := url.Parse(b.f.srv.URL)
	for _, c := range b.hc.Jar.Cookies(u) {
		if c.Name == langCookie {
			return textOf(c.Value)
		}
	}
	return texts[0]
}

// TestHostileNames: ids and names are user input; every page shows them
// as text.
func TestHostileNames(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := must(f.cli("").CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2", Name: hostile}))(t)
	must(f.cli("").CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc3", PeerAccount: partner, Name: hostile}))(t)
	b := f.browser(t)
	for _, path := range []string{"/vpcs", "/subnets", "/route-tables", "/peerings", "/peerings/" + p.ID, "/peerings?dialog=delete&id=" + p.ID,
		"/route-tables/vpc1-default?dialog=new", "/route-tables/vpc1-default?edit=1", "/reach", "/log", "/explain?src=a1&dst=" + url.QueryEscape(hostile)} {
		_, body := b.get(path)
		for _, raw := range []string{"<script>alert", "<img src=x", "<b>partner</b>", `"pwned")`} {
			if strings.Contains(body, raw) {
				t.Errorf("GET %s: %q unescaped", path, raw)
			}
		}
	}
	_, body := b.get("/peerings")
	if want := html.EscapeString(hostile); !strings.Contains(body, want) {
		t.Errorf("GET /peerings: no %q (the name, escaped)", want)
	}
	if !strings.Contains(body, "中文é") {
		t.Error("GET /peerings: the name's unicode is not shown as it is")
	}
	// A hostile value typed into a form comes back escaped too.
	_, body = b.post("/peerings", url.Values{"name": {hostile}, "vpc": {"vpc1"}, "peer_type": {"other"}, "peer_account": {`"><script>x()</script>`}, "peer_vpc_id": {"vpc3"}})
	if strings.Contains(body, "<script>x()") || strings.Contains(body, "<script>alert") {
		t.Error("POST /peerings: typed values unescaped in the form shown again")
	}
}

// TestCreatePeeringErrors: the 新建 dialog shows the API's refusal with
// its code, keeping what was typed; a good request creates the peering.
func TestCreatePeeringErrors(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.get("/peerings?dialog=new")
	tests := []struct {
		name string
		form url.Values
		code control.Code
	}{
		{"overlap", url.Values{"name": {"typed-name"}, "vpc": {"vpc2"}, "peer_type": {"mine"}, "peer_vpc": {"vpc4"}}, control.CodeCidrOverlap},
		{"region", url.Values{"name": {"typed-name"}, "vpc": {"vpc1"}, "peer_type": {"mine"}, "peer_vpc": {"vpc5"}}, control.CodeCrossRegionNotSupported},
		{"another account's vpc as mine", url.Values{"name": {"typed-name"}, "vpc": {"vpc1"}, "peer_type": {"mine"}, "peer_vpc": {"vpc3"}}, control.CodeVpcNotFound},
		{"wrong account", url.Values{"name": {"typed-name"}, "vpc": {"vpc1"}, "peer_type": {"other"}, "peer_account": {partner}, "peer_vpc_id": {"vpc2"}}, control.CodeVpcNotFound},
		{"unknown account", url.Values{"name": {"typed-name"}, "vpc": {"vpc1"}, "peer_type": {"other"}, "peer_account": {"999"}, "peer_vpc_id": {"vpc3"}}, control.CodeAccountNotFound},
		{"itself", url.Values{"name": {"typed-name"}, "vpc": {"vpc1"}, "peer_type": {"mine"}, "peer_vpc": {"vpc1"}}, control.CodeInvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.st.Version()
			status, body := b.post("/peerings", tt.form)
			for _, want := range []string{`id="new-peering-dialog"`, `<b class="code">` + string(tt.code) + `</b>`, html.EscapeString(b.textOf().CodeText(tt.code)), `value="typed-name"`} {
				if !strings.Contains(body, want) {
					t.Errorf("POST /peerings (%s) = %d: no %q", tt.name, status, want)
				}
			}
			if f.st.Version() != before {
				t.Errorf("POST /peerings (%s) changed the state", tt.name)
			}
		})
	}
	status, body := b.post("/peerings", url.Values{"name": {"PeerConn"}, "vpc": {"vpc1"}, "peer_type": {"other"}, "peer_account": {partner}, "peer_vpc_id": {"vpc3"}, "back": {"/peerings?region=wuhan"}})
	ps, _ := f.st.Peerings(me, false)
	if status != http.StatusSeeOther || len(ps) != 1 || ps[0].PeerVPC != "vpc3" || ps[0].Status != control.StatusPending || !strings.Contains(body, "PeerConn") {
		t.Fatalf("POST /peerings (cross-account) = %d, peerings %+v", status, ps)
	}
	// Again: the API says it exists.
	_, body = b.post("/peerings", url.Values{"name": {"again"}, "vpc": {"vpc1"}, "peer_type": {"other"}, "peer_account": {partner}, "peer_vpc_id": {"vpc3"}})
	if !strings.Contains(body, string(control.CodePeeringAlreadyExists)) {
		t.Error("POST /peerings twice: no PeeringAlreadyExists")
	}
}

// TestRouteErrorsInline: the 新建路由策略 dialog shows the API's refusal
// with its code.
func TestRouteErrorsInline(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	active := must(f.cli("").CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"}))(t)
	pending := must(f.cli("").CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner}))(t)
	b := f.browser(t)
	b.get("/route-tables/vpc1-default")
	status, body := b.post("/route-tables/vpc1-default/routes", url.Values{"destination": {"10.0.1.0/24"}, "next_hop": {active.ID}})
	if status != http.StatusSeeOther || !strings.Contains(body, fmt.Sprintf(b.textOf().RouteAddedF, "10.0.1.0/24")) {
		t.Fatalf("add route = %d:\n%s", status, body)
	}
	for _, tt := range []struct {
		dest, hop string
		code      control.Code
	}{
		{"10.0.1.0/24", active.ID, control.CodeRouteAlreadyExists},
		{"192.168.7.0/24", active.ID, control.CodeDestinationOverlapsLocal},
		{"172.16.0.0/16", pending.ID, control.CodePeeringNotActive},
		{"10.0.300.0/24", active.ID, control.CodeInvalidParameter},
		{"10.0.2.7/24", active.ID, control.CodeInvalidParameter}, // not a network address
		{"10.0.2.0/24", "pcx-nosuch", control.CodePeeringNotFound},
	} {
		before := f.st.Version()
		status, body := b.post("/route-tables/vpc1-default/routes", url.Values{"destination": {tt.dest}, "next_hop": {tt.hop}})
		if !strings.Contains(body, `id="new-route-dialog"`) || !strings.Contains(body, `<b class="code">`+string(tt.code)+`</b>`) ||
			!strings.Contains(body, `value="`+tt.dest+`"`) {
			t.Errorf("add route %s via %s = %d: want the dialog again with %s and the destination typed", tt.dest, tt.hop, status, tt.code)
		}
		if f.st.Version() != before {
			t.Errorf("refused route %s changed the state", tt.dest)
		}
	}
	// A route the cloud takes but that cannot work comes with the API's
	// warning.
	status, body = b.post("/route-tables/vpc1-default/routes", url.Values{"destination": {"10.9.0.0/16"}, "next_hop": {active.ID}})
	if status != http.StatusSeeOther || !strings.Contains(body, `<div class="warn" role="status">destination 10.9.0.0/16 is not inside vpc2`) {
		t.Errorf("add route beyond the peer VPC = %d: want it added, with the API's warning", status)
	}
	// Another account's table is not there, as in the API.
	if status, body := b.get("/route-tables/vpc3-default"); status != http.StatusNotFound || !strings.Contains(body, string(control.CodeRouteTableNotFound)) {
		t.Errorf("GET another account's table = %d, want 404 RouteTableNotFound", status)
	}
	status, _ = b.post("/route-tables/vpc1-default/routes/delete", url.Values{"destination": {"10.0.1.0/24"}})
	if rs, _ := f.st.Routes(me, "vpc1-default", ""); status != http.StatusSeeOther || len(rs) != 2 || rs[1].Destination != "10.9.0.0/16" {
		t.Errorf("delete route = %d, table now %+v", status, rs)
	}
}

// TestEditRoutes: 编辑路由策略 changes, removes and adds routes in one
// save; a change the API refuses is shown on its row, the others made.
func TestEditRoutes(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cli := f.cli("")
	p12 := must(cli.CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"}))(t)
	p13 := must(cli.CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner}))(t)
	must(f.cli(partner).AcceptPeering(ctx, p13.ID))(t)
	must(cli.AddRoute(ctx, "vpc1-default", "10.0.1.0/24", p12.ID))(t)
	must(cli.AddRoute(ctx, "vpc1-default", "10.0.2.0/24", p12.ID))(t)
	must(cli.AddRoute(ctx, "vpc1-default", "10.0.3.0/24", p12.ID))(t)
	b := f.browser(t)
	b.get("/route-tables/vpc1-default?edit=1")
	status, body := b.post("/route-tables/vpc1-default/edit", url.Values{
		"rows":  {"3"},
		"orig0": {"10.0.1.0/24"}, "destination0": {"10.0.1.0/24"}, "next_hop0": {p12.ID}, // unchanged
		"orig1": {"10.0.2.0/24"}, "destination1": {"172.16.1.0/24"}, "next_hop1": {p13.ID}, // changed
		"orig2": {"10.0.3.0/24"}, "destination2": {"10.0.3.0/24"}, "next_hop2": {p12.ID}, "remove2": {"1"},
		"new_destination": {"172.16.2.0/24"}, "new_next_hop": {p13.ID},
	})
	if status != http.StatusSeeOther {
		t.Fatalf("save = %d:\n%s", status, body)
	}
	want := map[string]string{"192.168.0.0/16": "local", "10.0.1.0/24": p12.ID, "172.16.1.0/24": p13.ID, "172.16.2.0/24": p13.ID}
	if got := routeMap(t, f, "vpc1-default"); !reflect.DeepEqual(got, want) {
		t.Errorf("after save, routes %v, want %v", got, want)
	}
	// The changed row is one change, never a route deleted and its
	// replacement added: nothing in between for packets, the journal or a
	// crash to see.
	evs := must(cli.Events(ctx, 0, 0))(t)
	var ops []string
	for _, e := range evs[len(evs)-3:] {
		ops = append(ops, string(e.Op)+" "+e.Target+" "+e.Detail)
	}
	if wantOps := []string{"route.replace vpc1-default 10.0.2.0/24 172.16.1.0/24 -> " + p13.ID, "route.delete vpc1-default 10.0.3.0/24 -> " + p12.ID,
		"route.add vpc1-default 172.16.2.0/24 -> " + p13.ID}; !reflect.DeepEqual(ops, wantOps) {
		t.Errorf("the save's events: %q, want %q", ops, wantOps)
	}
	// A change into a destination that overlaps the VPC is refused on its
	// row; the route stays as it was, and the good new route is added.
	status, body = b.post("/route-tables/vpc1-default/edit", url.Values{
		"rows":  {"1"},
		"orig0": {"10.0.1.0/24"}, "destination0": {"192.168.9.0/24"}, "next_hop0": {p12.ID},
		"new_destination": {"10.0.4.0/24"}, "new_next_hop": {p12.ID},
	})
	if status != http.StatusConflict || !strings.Contains(body, string(control.CodeDestinationOverlapsLocal)) || !strings.Contains(body, `value="192.168.9.0/24"`) {
		t.Errorf("save with a bad row = %d: want 409 with DestinationOverlapsLocal on the row as typed", status)
	}
	want["10.0.4.0/24"] = p12.ID
	if got := routeMap(t, f, "vpc1-default"); !reflect.DeepEqual(got, want) {
		t.Errorf("after a refused row, routes %v, want %v", got, want)
	}
}

func routeMap(t *testing.T, f *fixture, table string) map[string]string {
	t.Helper()
	rs, err := f.st.Routes(me, table, "")
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]string)
	for _, r := range rs {
		m[r.Destination] = r.NextHop
	}
	return m
}

// TestAccountSwitch: the account menu switches the browser's acting
// account; the peer accepts, rejects, and the requester deletes.
func TestAccountSwitch(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	acc := must(f.cli("").CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc3", PeerAccount: partner, Name: "to-accept"}))(t)
	rej := must(f.cli("").CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc2", PeerVPC: "vpc3", PeerAccount: partner, Name: "to-reject"}))(t)
	b := f.browser(t)
	_, body := b.get("/peerings")
	if !strings.Contains(body, `id="account-id" class="mono">`+me) || strings.Contains(body, "op-accept") {
		t.Fatalf("as me: want account %s and no 接受 (the requester cannot accept)", me)
	}
	_, body = b.post("/account", url.Values{"account": {partner}, "back": {"/peerings"}})
	if !strings.Contains(body, `id="account-id" class="mono">`+partner) || !strings.Contains(body, "op-accept") || !strings.Contains(body, b.textOf().AcceptCaution) {
		t.Fatalf("as partner: want account %s, 接受 and the caution", partner)
	}
	if status, _ := b.post("/peerings/"+acc.ID+"/accept", url.Values{}); status != http.StatusSeeOther {
		t.Errorf("accept = %d", status)
	}
	_, body = b.post("/peerings/"+rej.ID+"/reject", url.Values{"back": {"/peerings"}})
	if strings.Contains(body, `data-peering="`+rej.ID+`"`) {
		t.Error("a rejected request is still listed")
	}
	if p, _ := f.st.Peering(acc.ID); p.Status != control.StatusActive {
		t.Errorf("%s is %s, want active", acc.ID, p.Status)
	}
	// Accepting again: the API's refusal, with its code.
	if status, body := b.post("/peerings/"+acc.ID+"/accept", url.Values{}); status != http.StatusConflict || !strings.Contains(body, string(control.CodeInvalidState)) {
		t.Errorf("accept again = %d, want 409 InvalidState", status)
	}
	// The list's filters are the API's: a VPC the account cannot see is
	// not found; one at the other end of its peerings selects them.
	if status, body := b.get("/peerings?vpc=vpc4"); status != http.StatusNotFound || !strings.Contains(body, string(control.CodeVpcNotFound)) {
		t.Errorf("as partner, GET /peerings?vpc=vpc4 = %d, want 404 VpcNotFound", status)
	}
	if _, body := b.get("/peerings?vpc=vpc1&region=wuhan"); !strings.Contains(body, `data-peering="`+acc.ID+`"`) || strings.Contains(body, `data-peering="`+rej.ID+`"`) {
		t.Error("as partner, the list of vpc1's peerings does not hold exactly the one with vpc1")
	}
	if status, _ := b.post("/account", url.Values{"account": {"999"}}); status != http.StatusNotFound {
		t.Errorf("switch to an unknown account = %d, want 404", status)
	}
	// Another browser still acts as the first account.
	_, body = f.browser(t).get("/vpcs")
	if !strings.Contains(body, `id="account-id" class="mono">`+me) {
		t.Error("a second browser does not act as the default account")
	}
}

// TestLanguage: the language is switched, remembered, and chosen from
// Accept-Language first.
func TestLanguage(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	if _, body := b.get("/vpcs"); !strings.Contains(body, zh.Brand) {
		t.Error("no Accept-Language: want the default, Chinese")
	}
	for accept, want := range map[string]*Text{"en-US,en;q=0.9,zh;q=0.5": en, "zh-CN,zh;q=0.9": zh, "fr-FR, en;q=0.5": en, "fr": zh} {
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Language", accept)
		if got := language(req); got != want {
			t.Errorf("language(Accept-Language %q) = %s, want %s", accept, got.Lang, want.Lang)
		}
	}
	b.post("/lang", url.Values{"lang": {"en"}})
	if _, body := b.get("/peerings"); !strings.Contains(body, en.PeeringsTitle) || strings.Contains(body, zh.PeeringsTitle) {
		t.Error("after switching to English, the page is not in English")
	}
	if status, _ := b.post("/lang", url.Values{"lang": {"fr"}}); status != http.StatusBadRequest {
		t.Errorf("switch to fr = %d, want 400", status)
	}
}

// TestSafeHeaders: every answer forbids framing, sniffing and any script
// but the console's own; a console on loopback answers only loopback
// names.
func TestSafeHeaders(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	for _, path := range []string{"/vpcs", "/nosuch", "/static/console.js"} {
		resp, err := b.hc.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: X-Frame-Options %q, X-Content-Type-Options %q", path, h.Get("X-Frame-Options"), h.Get("X-Content-Type-Options"))
		}
	}
	_, body := b.get("/peerings")
	if strings.Contains(body, "<script>") || strings.Contains(body, " on") && strings.Contains(body, "onclick=") {
		t.Error("a page has inline script")
	}
	f.console.opts.LoopbackOnly = true
	for host, want := range map[string]int{"127.0.0.1:8080": 200, "localhost": 200, "[::1]:80": 200, "evil.example": 421, "127.0.0.1.evil.example": 421} {
		req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/vpcs", nil)
		req.Host = host
		resp, err := b.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET /vpcs for Host %q = %d, want %d", host, resp.StatusCode, want)
		}
	}
}

// TestEventStream: a change made through the API reaches a page's event
// stream at once.
func TestEventStream(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.get("/peerings")
	after := f.console.live.last(me)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/events?after=%d", f.srv.URL, after), nil)
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Scan() // retry:
	start := time.Now()
	p := must(f.cli("").CreatePeering(ctx, control.CreatePeeringRequest{VPC: "vpc1", PeerVPC: "vpc2"}))(t)
	var got []string
	for lines.Scan() {
		got = append(got, lines.Text())
		if strings.HasPrefix(lines.Text(), "data: ") {
			break
		}
	}
	if len(got) < 2 || !strings.HasPrefix(got[len(got)-2], "event: change") {
		t.Fatalf("stream after creating %s: %q", p.ID, got)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the change took %v to reach the stream", d)
	}
	if seq := f.console.live.last(me); seq <= after {
		t.Errorf("journal at %d after a change, was %d", seq, after)
	}
}

func TestSection(t *testing.T) {
	for in, want := range map[string]string{
		"/peerings/pcx-1?src=a1": "/peerings",
		"/peerings?vpc=vpc1":     "/peerings",
		"/route-tables/rtb-1":    "/route-tables",
		"/vpcs":                  "/vpcs",
		"/":                      "/",
	} {
		if got := section(in); got != want {
			t.Errorf("section(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestREADMELimits keeps the README's limits of the console true.
func TestREADMELimits(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("| hosts in the console's reachability matrix | %d (probed: %d) |", maxMatrixHosts, maxProbeHosts)
	if !strings.Contains(string(b), want) {
		t.Errorf("README has no limits row %q", want)
	}
}

// TestExplainAndProbe: explain's errors show with their code; probes are
// POSTs, answered on the spot.
func TestExplainAndProbe(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	for _, q := range []string{"src=a1&dst=b1&protocol=tcp&port=12abc", "src=a1&dst=b1&protocol=sctp", "src=a1&dst=300.1.1.1"} {
		status, body := b.get("/explain?" + q)
		if status != http.StatusBadRequest || !strings.Contains(body, `<b class="code">InvalidParameter</b>`) {
			t.Errorf("GET /explain?%s = %d, want 400 InvalidParameter", q, status)
		}
	}
	status, body := b.get("/explain?src=a1&dst=b1&protocol=tcp&port=22")
	if status != http.StatusOK || !strings.Contains(body, `id="explain-probe"`) || !strings.Contains(body, "NO_ROUTE") {
		t.Errorf("GET /explain (tcp/22) = %d, want the explanation (NO_ROUTE) and the probe button", status)
	}
	status, body = b.post("/explain", url.Values{"src": {"a1"}, "dst": {"b1"}})
	if status != http.StatusOK || !strings.Contains(body, `id="explain-result"`) || !strings.Contains(body, `data-url=""`) {
		t.Errorf("POST /explain = %d, want the explanation, not updated live", status)
	}
	status, body = b.post("/reach/probe", url.Values{})
	if status != http.StatusOK || !strings.Contains(body, `id="probed-at"`) || !strings.Contains(body, `data-url=""`) {
		t.Errorf("POST /reach/probe = %d, want the matrix probed, not updated live", status)
	}
}

// TestEventStreamEndsOnClose: closing the console ends its event streams
// and its journal's followers, whoever asks after.
func TestEventStreamEndsOnClose(t *testing.T) {
	f := newFixture(t)
	b := f.browser(t)
	b.get("/peerings")
	done := make(chan error, 1)
	go func() {
		resp, err := b.hc.Get(f.srv.URL + "/events?after=0")
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	closed := make(chan struct{})
	go func() {
		f.console.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return within 5s")
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("an event stream still runs 5s after Close")
	}
	// An account asked for after Close gets a journal that follows nothing.
	f.console.live.feed(partner)
	f.console.live.wg.Wait()
}
