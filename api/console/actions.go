package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

// The actions: every one a POST that passed the CSRF check (ServeHTTP),
// every change made through the API. A change that succeeds redirects to
// the page it was made from, with a notice; one the API refuses renders
// that page again, with what was typed and the error with its code.

// switchAccount makes the browser act as the form's account.
func (c *Console) switchAccount(v *view) {
	id := v.r.PostFormValue("account")
	if _, err := api.NewHandlerClient(c.api, id).Account(v.ctx); err != nil || id == "" {
		v.fail(0, control.Errorf(control.CodeAccountNotFound, "account %q not found", id))
		return
	}
	setCookie(v.w, accountCookie, id)
	v.redirect(section(localPath(v.r.PostFormValue("back"), "/vpcs")))
}

// section returns the list a page of the console belongs to: the page
// shown after switching accounts, as what the page showed (a peering, a
// route table, a filter) may be the other account's to see.
func section(path string) string {
	p, _, _ := strings.Cut(path, "?")
	if i := strings.IndexByte(p[1:], '/'); i >= 0 {
		p = p[:i+1]
	}
	return p
}

// switchLanguage makes the console speak the form's language.
func (c *Console) switchLanguage(v *view) {
	lang := v.r.PostFormValue("lang")
	if textOf(lang).Lang != lang {
		v.fail(0, control.Errorf(control.CodeInvalidParameter, "language %q: want zh or en", lang))
		return
	}
	setCookie(v.w, langCookie, lang)
	v.redirect(localPath(v.r.PostFormValue("back"), "/vpcs"))
}

// createPeering is the 新建 dialog's 确定.
func (c *Console) createPeering(v *view) {
	f := v.r.PostFormValue
	form := newPeeringForm{
		Name: f("name"), Region: f("region"), VPC: f("vpc"), PeerRegion: f("peer_region"), PeerType: f("peer_type"),
		PeerVPC: f("peer_vpc"), PeerAccount: f("peer_account"), PeerVPCID: f("peer_vpc_id"),
	}
	req := control.CreatePeeringRequest{Name: form.Name, VPC: form.VPC, PeerVPC: form.PeerVPC}
	if form.PeerType == "other" {
		req.PeerVPC, req.PeerAccount = form.PeerVPCID, form.PeerAccount
	} else {
		form.PeerType = "mine"
	}
	p, err := v.api.CreatePeering(v.ctx, req)
	back := localPath(f("back"), "/peerings")
	if err == nil {
		v.redirect(withNotice(back, "created", p.ID))
		return
	}
	u, _ := url.Parse(back)
	d, a, lerr := v.loadPeerings(u.Query())
	if lerr != nil {
		v.fail(0, err)
		return
	}
	form.Err = control.AsError(err)
	d.Dialog, d.New = "new", form
	v.render(api.HTTPStatus(form.Err.Code), "peerings", &page{Title: v.text.PeeringsTitle, Nav: "peerings", Account: a, Data: d, URL: peeringsURL(d)})
}

func (c *Console) acceptPeering(v *view) { c.transition(v, "accepted", v.api.AcceptPeering) }

func (c *Console) rejectPeering(v *view) { c.transition(v, "rejected", v.api.RejectPeering) }

func (c *Console) deletePeering(v *view) { c.transition(v, "deleted", v.api.DeletePeering) }

// transition accepts, rejects or deletes the peering of the path, then
// returns to the page the form names (the list by default). A refusal is
// shown there, with its code.
func (c *Console) transition(v *view, done string, change func(ctx context.Context, id string) (control.Peering, error)) {
	id := v.r.PathValue("id")
	back := localPath(v.r.PostFormValue("back"), "/peerings")
	if _, err := change(v.ctx, id); err != nil {
		v.failBack(err, back)
		return
	}
	v.redirect(withNotice(back, done, id))
}

// withNotice returns path with the notice of a change done to id.
func withNotice(path, done, id string) string {
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	q := u.Query()
	q.Del("dialog")
	q.Set("done", done)
	q.Set("id", id)
	u.RawQuery = q.Encode()
	return u.String()
}

// withWarnings returns path with the API's warnings about a change.
func withWarnings(path string, warnings []string) string {
	if len(warnings) == 0 {
		return path
	}
	u, err := url.Parse(path)
	if err != nil {
		return path
	}
	q := u.Query()
	q["warning"] = warnings
	u.RawQuery = q.Encode()
	return u.String()
}

// addRoute is the 新建路由策略 dialog's 创建.
func (c *Console) addRoute(v *view) {
	id := v.r.PathValue("id")
	form := routeForm{Destination: v.r.PostFormValue("destination"), Peering: v.r.PostFormValue("next_hop")}
	r, err := v.api.AddRoute(v.ctx, id, form.Destination, form.Peering)
	if err == nil {
		v.redirect(withWarnings(withNotice("/route-tables/"+url.PathEscape(id), "route-added", r.Destination), r.Warnings))
		return
	}
	d, lerr := v.loadTable(id)
	if lerr != nil {
		v.fail(0, err)
		return
	}
	form.Err = control.AsError(err)
	d.Dialog, d.Form = "new", form
	v.render(api.HTTPStatus(form.Err.Code), "table", &page{Title: fmt.Sprintf(v.text.TableTitleF, id), Nav: "tables", Data: d,
		URL: "/route-tables/" + url.PathEscape(id)})
}

// deleteRoute deletes the form's route of the table of the path.
func (c *Console) deleteRoute(v *view) {
	id := v.r.PathValue("id")
	r, err := v.api.DeleteRoute(v.ctx, id, v.r.PostFormValue("destination"))
	if err != nil {
		v.fail(0, err)
		return
	}
	v.redirect(withNotice("/route-tables/"+url.PathEscape(id), "route-deleted", r.Destination))
}

// editRoutes saves the table the 编辑路由策略 form edited: each row whose
// destination or next hop changed is replaced (deleted, then added; if the
// addition is refused, the route is put back as it was), each row ticked
// is deleted, and a filled last row is added. Every change is its own call
// to the API, so a refusal stops only its row: the table is shown again in
// edit mode with each refused row's error.
func (c *Console) editRoutes(v *view) {
	id := v.r.PathValue("id")
	f := v.r.PostFormValue
	n, _ := strconv.Atoi(f("rows"))
	var rows []editRow
	for i := range min(n, control.MaxRoutesPerTable) {
		k := strconv.Itoa(i)
		rows = append(rows, editRow{Orig: f("orig" + k), Destination: f("destination" + k), Peering: f("next_hop" + k), Remove: f("remove"+k) != ""})
	}
	newRow := editRow{Destination: f("new_destination"), Peering: f("new_next_hop")}
	failed := false
	var warnings []string
	for i := range rows {
		var w []string
		rows[i].Err, w = v.saveRow(id, rows[i])
		failed = failed || rows[i].Err != nil
		warnings = append(warnings, w...)
	}
	if newRow.Destination != "" {
		rc, err := v.api.AddRoute(v.ctx, id, newRow.Destination, newRow.Peering)
		if err != nil {
			newRow.Err, failed = control.AsError(err), true
		}
		warnings = append(warnings, rc.Warnings...)
	}
	if !failed {
		v.redirect(withWarnings(withNotice("/route-tables/"+url.PathEscape(id), "saved", ""), warnings))
		return
	}
	d, err := v.loadTable(id)
	if err != nil {
		v.fail(0, err)
		return
	}
	// The refused rows as they were typed; the others as they are now.
	d.Edit, d.NewRow = true, newRow
	var kept []editRow
	for _, r := range rows {
		if r.Err != nil {
			kept = append(kept, r)
		}
	}
	for _, cur := range d.Rows {
		if !containsOrig(kept, cur.Orig) {
			kept = append(kept, cur)
		}
	}
	d.Rows = kept
	v.render(http.StatusConflict, "table", &page{Title: fmt.Sprintf(v.text.TableTitleF, id), Nav: "tables", Data: d, Static: true, Warnings: warnings})
}

func containsOrig(rows []editRow, orig string) bool {
	for _, r := range rows {
		if r.Orig == orig && orig != "" {
			return true
		}
	}
	return false
}

// saveRow makes the change an edited row asks for, and returns the API's
// refusal, or its warnings about the route made.
func (v *view) saveRow(table string, r editRow) (*control.Error, []string) {
	routes, err := v.api.Routes(v.ctx, table, "")
	if err != nil {
		return control.AsError(err), nil
	}
	var cur *control.Route
	for i := range routes {
		if routes[i].Destination == r.Orig && routes[i].NextHopType != "local" {
			cur = &routes[i]
		}
	}
	var added api.RouteChange
	switch {
	case r.Remove:
		if cur == nil {
			return nil, nil // gone already
		}
		_, err = v.api.DeleteRoute(v.ctx, table, r.Orig)
	case cur == nil:
		added, err = v.api.AddRoute(v.ctx, table, r.Destination, r.Peering)
	case cur.Destination == r.Destination && cur.NextHop == r.Peering:
		return nil, nil
	default:
		added, err = v.api.ReplaceRoute(v.ctx, table, r.Orig, r.Destination, r.Peering)
	}
	if err != nil {
		return control.AsError(err), nil
	}
	return nil, added.Warnings
}
