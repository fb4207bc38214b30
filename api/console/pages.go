package console

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/topology"
)

// parsePages parses every page's template, each with the layout.
func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"time": func(t time.Time) string { return t.Local().Format(timeLayout) },
		"ptime": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.Local().Format(timeLayout)
		},
		"join":      strings.Join,
		"path":      url.PathEscape,
		"languages": func() []*Text { return texts },
		"protocols": func() []string { return []string{string(explain.ICMP), string(explain.TCP), string(explain.UDP)} },
		"errbox": func(t *Text, e *control.Error) any {
			return struct {
				T *Text
				E *control.Error
			}{t, e}
		},
		"stat": func(t *Text, s control.Status) any {
			return struct {
				T *Text
				S control.Status
			}{t, s}
		},
		"path2": func(t *Text, p explain.Path) any {
			return struct {
				T *Text
				P explain.Path
			}{t, p}
		},
		"res": func(t *Text, r *explain.Result) any {
			return struct {
				T *Text
				R *explain.Result
			}{t, r}
		},
		"activeHas": func(ps []control.Peering, id string) bool {
			return slices.ContainsFunc(ps, func(p control.Peering) bool { return p.ID == id })
		},
		"newURL": func(d *peeringsData) template.URL {
			q := peeringsQuery(d)
			q.Set("dialog", "new")
			return template.URL("/peerings?" + q.Encode())
		},
		"explainURL": func(src, dst string) template.URL {
			return template.URL("/explain?" + url.Values{"src": {src}, "dst": {dst}}.Encode())
		},
		"deleteDialog": func(p *page, of any, closeURL, back string) (any, error) {
			var pv *peeringView
			switch of := of.(type) {
			case *peeringView:
				pv = of
			case *peeringData:
				pv = &of.peeringView
			default:
				return nil, fmt.Errorf("deleteDialog of %T", of)
			}
			return struct {
				Page        *page
				P           *peeringView
				Close, Back string
			}{p, pv, closeURL, back}, nil
		},
	}
	layout, err := template.New("layout").Funcs(funcs).ParseFS(files, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := make(map[string]*template.Template)
	for _, n := range names {
		name := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(layout.Clone()).ParseFS(files, n)
		if err != nil {
			return nil, err
		}
		pages[name] = t
	}
	return pages, nil
}

// vpcView is a VPC on the VPC page.
type vpcView struct {
	api.VPCStatus
	Hosts []api.HostStatus
}

func (c *Console) vpcsPage(v *view) {
	st, err := v.api.Status(v.ctx)
	if err != nil {
		v.fail(0, err)
		return
	}
	var vpcs []vpcView
	for _, vs := range st.VPCs {
		vv := vpcView{VPCStatus: vs}
		for _, h := range st.Hosts {
			if h.VPC == vs.ID {
				vv.Hosts = append(vv.Hosts, h)
			}
		}
		vpcs = append(vpcs, vv)
	}
	v.render(http.StatusOK, "vpcs", &page{Title: v.text.VPCsTitle, Nav: "vpcs", Data: vpcs})
}

// subnetView is a subnet on the subnet page.
type subnetView struct {
	api.SubnetStatus
	VPC vpcRef
}

func (c *Console) subnetsPage(v *view) {
	st, err := v.api.Status(v.ctx)
	if err != nil {
		v.fail(0, err)
		return
	}
	var subnets []subnetView
	for _, vs := range st.VPCs {
		for _, s := range vs.Subnets {
			subnets = append(subnets, subnetView{SubnetStatus: s, VPC: c.dir.vpc(vs.ID)})
		}
	}
	v.render(http.StatusOK, "subnets", &page{Title: v.text.SubnetsTitle, Nav: "subnets", Data: subnets})
}

// tableView is a route table and what it serves.
type tableView struct {
	ID      string
	VPC     vpcRef
	Subnets []string
	Routes  []routeView
}

// routeView is a route with the peering of its next hop.
type routeView struct {
	control.Route
	Peering *control.Peering // nil for the local route
	Local   bool
}

// ownTables returns the route tables of the acting account's VPCs with
// their routes, in file order.
func (v *view) ownTables() ([]tableView, error) {
	st, err := v.api.Status(v.ctx)
	if err != nil {
		return nil, err
	}
	routes, err := v.api.Routes(v.ctx, "", "")
	if err != nil {
		return nil, err
	}
	var tables []tableView
	index := make(map[string]int)
	for _, r := range routes {
		i, ok := index[r.RouteTable]
		if !ok {
			i = len(tables)
			index[r.RouteTable] = i
			tables = append(tables, tableView{ID: r.RouteTable, VPC: v.c.dir.vpc(v.c.dir.tableVPC[r.RouteTable])})
		}
		tables[i].Routes = append(tables[i].Routes, routeView{Route: r, Local: r.NextHopType == topology.NextHopLocal})
	}
	for _, vs := range st.VPCs {
		for _, s := range vs.Subnets {
			if i, ok := index[s.RouteTable]; ok {
				tables[i].Subnets = append(tables[i].Subnets, s.ID)
			}
		}
	}
	return tables, nil
}

func (c *Console) tablesPage(v *view) {
	tables, err := v.ownTables()
	if err != nil {
		v.fail(0, err)
		return
	}
	v.render(http.StatusOK, "tables", &page{Title: v.text.TablesTitle, Nav: "tables", Data: tables})
}

// tableData is the route table page.
type tableData struct {
	tableView
	Active []control.Peering // the VPC's active peerings: the next hops a route may take
	// Dialog is "new" while the 新建路由策略 dialog is open; Edit is set
	// while the table is being edited.
	Dialog string
	Edit   bool
	Form   routeForm
	Rows   []editRow // the edited routes, with what was typed and their errors
	NewRow editRow
}

// routeForm is what the 新建路由策略 dialog was given, and its error.
type routeForm struct {
	Destination, Peering string
	Err                  *control.Error
}

// editRow is a route being edited.
type editRow struct {
	Orig        string // the destination before the edit; "" for a new route
	Destination string
	Peering     string
	Remove      bool
	Err         *control.Error
}

// loadTable returns the route table id of the acting account as its page
// shows it.
func (v *view) loadTable(id string) (*tableData, error) {
	routes, err := v.api.Routes(v.ctx, id, "")
	if err != nil {
		return nil, err
	}
	peerings, err := v.api.Peerings(v.ctx, false)
	if err != nil {
		return nil, err
	}
	st, err := v.api.Status(v.ctx)
	if err != nil {
		return nil, err
	}
	vpc := v.c.dir.tableVPC[id]
	d := &tableData{tableView: tableView{ID: id, VPC: v.c.dir.vpc(vpc)}}
	byID := make(map[string]*control.Peering)
	for i, p := range peerings {
		byID[p.ID] = &peerings[i]
		if p.Status == control.StatusActive && (p.VPC == vpc || p.PeerVPC == vpc) {
			d.Active = append(d.Active, p)
		}
	}
	for _, r := range routes {
		d.Routes = append(d.Routes, routeView{Route: r, Peering: byID[r.NextHop], Local: r.NextHopType == topology.NextHopLocal})
	}
	for _, vs := range st.VPCs {
		for _, s := range vs.Subnets {
			if s.RouteTable == id {
				d.Subnets = append(d.Subnets, s.ID)
			}
		}
	}
	for _, r := range d.Routes {
		if !r.Local {
			d.Rows = append(d.Rows, editRow{Orig: r.Destination, Destination: r.Destination, Peering: r.NextHop})
		}
	}
	return d, nil
}

func (c *Console) tablePage(v *view) {
	id := v.r.PathValue("id")
	d, err := v.loadTable(id)
	if err != nil {
		v.fail(0, err)
		return
	}
	q := v.r.URL.Query()
	switch {
	case q.Get("dialog") == "new":
		d.Dialog = "new"
		if len(d.Active) > 0 {
			d.Form.Peering = d.Active[0].ID
		}
	case q.Get("edit") != "":
		d.Edit = true
	}
	p := &page{Title: fmt.Sprintf(v.text.TableTitleF, id), Nav: "tables", Data: d, URL: "/route-tables/" + url.PathEscape(id),
		Notice: v.notice(), Warnings: q["warning"]}
	p.Static = d.Edit // the form is the page: a live update would undo the typing
	v.render(http.StatusOK, "table", p)
}

// notice returns the message of a change the browser was redirected after.
func (v *view) notice() string {
	q := v.r.URL.Query()
	arg := q.Get("id")
	switch q.Get("done") {
	case "created":
		return fmt.Sprintf(v.text.CreatedF, arg)
	case "accepted":
		return fmt.Sprintf(v.text.AcceptedF, arg)
	case "rejected":
		return fmt.Sprintf(v.text.RejectedF, arg)
	case "deleted":
		return fmt.Sprintf(v.text.DeletedF, arg)
	case "route-added":
		return fmt.Sprintf(v.text.RouteAddedF, arg)
	case "route-deleted":
		return fmt.Sprintf(v.text.RouteDeletedF, arg)
	case "saved":
		return v.text.RoutesSaved
	}
	return ""
}

// peeringView is a peering as the acting account sees it: its own VPC on
// the local side (本端), and what it may do.
type peeringView struct {
	control.Peering
	Local, Peer  vpcRef
	LocalAccount string
	PeerAccount  string
	Requester    bool // the acting account asked for it
	CanAccept    bool // the acting account is the accepter of a pending request
	CanDelete    bool
	Waiting      bool // the acting account asked, the peer has not answered

	// What the list shows, made once here rather than by the template,
	// which a list of a thousand peerings would make slow.
	Href, DeleteHref, StatusText, RegionText, Created, Expires string
}

// shown fills in what pv's row shows, in the language t.
func (pv *peeringView) shown(t *Text) {
	pv.Href = "/peerings/" + url.PathEscape(pv.ID)
	pv.StatusText, pv.RegionText = t.StatusName(pv.Status), t.RegionName(pv.Region)
	pv.Created = pv.CreatedAt.Local().Format(timeLayout)
	if pv.Status == control.StatusPending && pv.ExpiresAt != nil {
		pv.Expires = pv.ExpiresAt.Local().Format(timeLayout)
	}
}

// timeLayout is how pages show a time.
const timeLayout = "2006-01-02 15:04:05"

// peeringView returns p as the account acct sees it.
func (c *Console) peeringView(acct string, p control.Peering) peeringView {
	pv := peeringView{Peering: p, Local: c.dir.vpc(p.VPC), Peer: c.dir.vpc(p.PeerVPC),
		LocalAccount: p.Account, PeerAccount: p.PeerAccount, Requester: p.Account == acct}
	if !pv.Requester {
		pv.Local, pv.Peer = pv.Peer, pv.Local
		pv.LocalAccount, pv.PeerAccount = p.PeerAccount, p.Account
	}
	switch p.Status {
	case control.StatusPending:
		pv.CanAccept = !pv.Requester
		pv.CanDelete = pv.Requester
		pv.Waiting = pv.Requester
	case control.StatusActive:
		pv.CanDelete = true
	}
	return pv
}

// peeringsData is the peering list.
type peeringsData struct {
	Region, VPC string // the filters
	All         bool
	Regions     []string
	Own         []vpcRef // the acting account's VPCs
	Rows        []peeringView
	Pending     bool // a request waits for the acting account
	Dialog      string
	New         newPeeringForm
	Delete      *peeringView // the peering a deletion asks to confirm
}

// newPeeringForm is what the 新建 dialog was given, and its error.
type newPeeringForm struct {
	Name, Region, VPC, PeerRegion string
	PeerType                      string // "mine" or "other"
	PeerVPC                       string // of my account
	PeerAccount, PeerVPCID        string // of another
	Err                           *control.Error
}

// loadPeerings returns the peering list of the acting account, filtered
// by the query's region, vpc and all.
func (v *view) loadPeerings(q url.Values) (*peeringsData, control.Account, error) {
	a, err := v.api.Account(v.ctx)
	if err != nil {
		return nil, a, err
	}
	// The account's VPCs, for the filter and the 新建 dialog, are the
	// file's: they never change, and asking the API's status for them
	// would fetch and compare every peering and route of the data plane
	// once more for each list shown.
	d := &peeringsData{Region: q.Get("region"), VPC: q.Get("vpc"), All: q.Get("all") != "", Regions: v.c.dir.regions,
		Own: v.c.dir.vpcsOf(a.ID)}
	ps, err := v.api.ListPeerings(v.ctx, control.PeeringFilter{All: d.All, VPC: d.VPC, Region: d.Region})
	if err != nil {
		return nil, a, err
	}
	list := peeringsURL(d)
	sep := "?"
	if strings.Contains(list, "?") {
		sep = "&"
	}
	for _, p := range ps {
		pv := v.c.peeringView(a.ID, p)
		d.Pending = d.Pending || pv.CanAccept
		pv.shown(v.text)
		pv.DeleteHref = list + sep + "dialog=delete&id=" + url.QueryEscape(p.ID)
		d.Rows = append(d.Rows, pv)
	}
	d.New = newPeeringForm{Region: d.Region, VPC: d.VPC, PeerRegion: d.Region, PeerType: "mine"}
	return d, a, nil
}

func (c *Console) peeringsPage(v *view) {
	q := v.r.URL.Query()
	d, a, err := v.loadPeerings(q)
	if err != nil {
		v.fail(0, err)
		return
	}
	switch q.Get("dialog") {
	case "new":
		d.Dialog = "new"
		if d.New.VPC == "" && len(d.Own) > 0 {
			d.New.VPC = d.Own[0].ID
		}
		if d.New.Region == "" {
			d.New.Region = c.dir.vpc(d.New.VPC).Region
		}
		if d.New.PeerRegion == "" {
			d.New.PeerRegion = d.New.Region
		}
		for _, o := range d.Own { // a VPC cannot peer with itself: offer another
			if o.ID != d.New.VPC && o.Region == d.New.PeerRegion {
				d.New.PeerVPC = o.ID
				break
			}
		}
	case "delete":
		id := q.Get("id")
		for i := range d.Rows {
			if d.Rows[i].ID == id {
				d.Dialog, d.Delete = "delete", &d.Rows[i]
			}
		}
		if d.Delete == nil {
			// Gone meanwhile, or never there: say so as the API does.
			if _, err := v.api.ShowPeering(v.ctx, id); err != nil {
				v.fail(0, err)
				return
			}
		}
	}
	v.render(http.StatusOK, "peerings", &page{Title: v.text.PeeringsTitle, Nav: "peerings", Account: a, Data: d,
		Notice: v.notice(), URL: peeringsURL(d)})
}

// peeringsURL returns the URL of the peering list with d's filters.
func peeringsURL(d *peeringsData) string {
	q := peeringsQuery(d)
	if len(q) == 0 {
		return "/peerings"
	}
	return "/peerings?" + q.Encode()
}

// peeringsQuery returns d's filters as a query.
func peeringsQuery(d *peeringsData) url.Values {
	q := url.Values{}
	if d.Region != "" {
		q.Set("region", d.Region)
	}
	if d.VPC != "" {
		q.Set("vpc", d.VPC)
	}
	if d.All {
		q.Set("all", "1")
	}
	return q
}

// peeringData is a peering's detail page.
type peeringData struct {
	peeringView
	Routes       []control.RelatedRoute
	PeerHidden   bool // the peer side's tables belong to another account
	LocalHosts   []hostRef
	PeerHosts    []hostRef
	Src, Dst     string
	Explain      *explain.Result
	ExplainError *control.Error
	Dialog       string
}

func (c *Console) peeringPage(v *view) {
	id := v.r.PathValue("id")
	a, err := v.api.Account(v.ctx)
	if err != nil {
		v.fail(0, err)
		return
	}
	pd, err := v.api.ShowPeering(v.ctx, id)
	if err != nil {
		v.fail(0, err)
		return
	}
	d := &peeringData{peeringView: c.peeringView(a.ID, pd.Peering), Routes: pd.Routes}
	d.PeerHidden = pd.Account != pd.PeerAccount
	d.LocalHosts, d.PeerHosts = c.dir.hostsOf(d.Local.ID), c.dir.hostsOf(d.Peer.ID)
	q := v.r.URL.Query()
	d.Src, d.Dst = q.Get("src"), q.Get("dst")
	if d.Src == "" && len(d.LocalHosts) > 0 {
		d.Src = d.LocalHosts[0].Name
	}
	if d.Dst == "" && len(d.PeerHosts) > 0 {
		d.Dst = d.PeerHosts[0].Name
	}
	if d.Src != "" && d.Dst != "" {
		res, err := v.api.Explain(v.ctx, api.ExplainRequest{Request: explain.Request{Source: d.Src, Destination: d.Dst}})
		if err != nil {
			d.ExplainError = control.AsError(err)
		}
		d.Explain = res
	}
	if q.Get("dialog") == "delete" && d.CanDelete {
		d.Dialog = "delete"
	}
	here := "/peerings/" + url.PathEscape(id)
	if d.Src != "" || d.Dst != "" {
		here += "?" + url.Values{"src": {d.Src}, "dst": {d.Dst}}.Encode()
	}
	v.render(http.StatusOK, "peering", &page{Title: v.text.DetailTitle + " " + id, Nav: "peerings", Account: a, Data: d,
		Notice: v.notice(), URL: here})
}

// explainData is the explain page.
type explainData struct {
	Hosts              []hostRef
	Src, Dst, Protocol string
	Port               string
	Result             *explain.Result
	Probed             bool
}

// explainRequest reads src, dst, protocol and port of a form or query.
func explainRequest(get func(string) string) (explainData, api.ExplainRequest, error) {
	d := explainData{Src: get("src"), Dst: get("dst"), Protocol: get("protocol"), Port: get("port")}
	req := api.ExplainRequest{Request: explain.Request{Source: d.Src, Destination: d.Dst, Protocol: explain.Protocol(d.Protocol)}}
	if d.Port != "" {
		n, err := strconv.Atoi(d.Port)
		if err != nil {
			return d, req, control.Errorf(control.CodeInvalidParameter, "invalid port %q: want 1..65535", d.Port)
		}
		req.Port = n
	}
	return d, req, nil
}

func (c *Console) explainPage(v *view) { c.explain(v, false) }

func (c *Console) explainProbe(v *view) { c.explain(v, true) }

// explain renders the explain page of the query's (or form's) request,
// sending real packets when probe is set.
func (c *Console) explain(v *view, probe bool) {
	get := v.r.URL.Query().Get
	if probe {
		get = v.r.PostFormValue
	}
	d, req, err := explainRequest(get)
	d.Hosts = c.dir.hosts
	if d.Src == "" && len(d.Hosts) > 0 {
		d.Src = d.Hosts[0].Name
	}
	p := &page{Title: v.text.ExplainTitle, Nav: "reach", Data: &d}
	p.Static = probe // a probe's result is this answer's alone
	if err == nil && d.Src != "" && d.Dst != "" {
		req.Probe = probe
		d.Result, err = v.api.Explain(v.ctx, req)
		d.Probed = probe
	}
	if err != nil {
		p.Err = control.AsError(err)
		p.Static = true
		v.render(api.HTTPStatus(p.Err.Code), "explain", p)
		return
	}
	v.render(http.StatusOK, "explain", p)
}

// logData is the operation log.
type logData struct {
	Events []control.Event
}

// logLimit is how many events the operation log shows.
const logLimit = 200

func (c *Console) logPage(v *view) {
	evs, err := v.api.Events(v.ctx, 0, logLimit)
	if err != nil {
		v.fail(0, err)
		return
	}
	slices.Reverse(evs)
	v.render(http.StatusOK, "log", &page{Title: v.text.LogTitle, Nav: "log", Data: logData{Events: evs}})
}
