// Package console is the web console of a running topology: the product
// documentation's 私有网络 console — VPCs, subnets, route tables, peering
// connections with 新建 / 接受 / 拒绝 / 删除, a peering's detail with its
// related routes, the account menu — and a reachability page with a host ×
// host matrix, drop counters and the topology's picture, in Chinese or
// English.
//
// The console is a client of the API (package api), never of the control
// state: every page is rendered from, and every change made by, the same
// endpoints the command line calls, through api.NewHandlerClient on the
// daemon's api.Handler. No rule is implemented twice, and a change made on
// the command line shows in an open page within about a second (the page
// follows the journal, GET /v1/events?follow=true, through server-sent
// events). Besides the API, the console reads the topology it was launched
// from for what never changes and a cloud console shows of any VPC: the
// accounts to switch between, a peer VPC's CIDR and region, and the hosts.
//
// Each browser acts as one account, chosen in the account menu and kept in
// a cookie; the language is kept likewise. Pages are html/template, with
// one small script of the console's own (live updates, dialogs) and no
// inline script, under a Content-Security-Policy that allows no other.
//
// A request that changes anything is a POST carrying the session's CSRF
// token (a MAC of the session cookie's id under a key of the console) and
// passing net/http's cross-origin protection; anything else is refused
// before it reaches the API. GET never changes anything. The console runs
// no command on the hosts but the probes the API offers (ping and explain's
// packets); it has no shell and no exec.
//
// A console listening on loopback refuses requests for any other host
// name than a loopback one (Options.LoopbackOnly), so that a web page
// cannot reach it by DNS rebinding. It has no login: whoever reaches it
// may act as any account of the topology, which is why it listens on
// loopback unless told otherwise.
package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
)

//go:embed templates static
var files embed.FS

// Options configure a Console.
type Options struct {
	// Logger receives the console's logs; nil discards them.
	Logger *slog.Logger
	// LoopbackOnly refuses requests whose Host is not a loopback address
	// or "localhost": a console bound to loopback is then out of reach of
	// DNS rebinding.
	LoopbackOnly bool
}

// Console is the web console of one topology, an http.Handler. Create it
// with New; Close stops the journal streams it follows. It is safe for
// concurrent use.
type Console struct {
	api   http.Handler
	top   *topology.Topology
	dir   *directory
	opts  Options
	log   *slog.Logger
	key   [32]byte // of the CSRF tokens
	pages map[string]*template.Template
	mux   *http.ServeMux
	csrf  *http.CrossOriginProtection
	live  *journal

	closeOnce sync.Once
}

// New returns the console of the topology t whose API h serves (the
// daemon's api.Handler).
func New(h http.Handler, t *topology.Topology, opts Options) (*Console, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Console{api: h, top: t, dir: newDirectory(t), opts: opts, log: log, csrf: http.NewCrossOriginProtection()}
	rand.Read(c.key[:])
	var err error
	if c.pages, err = parsePages(); err != nil {
		return nil, err
	}
	c.live = newJournal(func(acct string) *api.Client { return api.NewHandlerClient(h, acct) }, log)
	c.routes()
	return c, nil
}

// Close stops the journal streams the console follows; live pages stop
// updating. It is idempotent.
func (c *Console) Close() error {
	c.closeOnce.Do(c.live.close)
	return nil
}

// routes registers every page and action.
func (c *Console) routes() {
	mux := http.NewServeMux()
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/vpcs", http.StatusSeeOther)
	})
	get := func(pattern string, h func(*view)) {
		mux.HandleFunc("GET "+pattern, func(w http.ResponseWriter, r *http.Request) { h(c.newView(w, r)) })
	}
	post := func(pattern string, h func(*view)) {
		mux.HandleFunc("POST "+pattern, func(w http.ResponseWriter, r *http.Request) { h(c.newView(w, r)) })
	}
	get("/vpcs", c.vpcsPage)
	get("/subnets", c.subnetsPage)
	get("/route-tables", c.tablesPage)
	get("/route-tables/{id}", c.tablePage)
	get("/peerings", c.peeringsPage)
	get("/peerings/{id}", c.peeringPage)
	get("/reach", c.reachPage)
	get("/explain", c.explainPage)
	get("/log", c.logPage)
	mux.HandleFunc("GET /events", c.events)

	post("/account", c.switchAccount)
	post("/lang", c.switchLanguage)
	post("/peerings", c.createPeering)
	post("/peerings/{id}/accept", c.acceptPeering)
	post("/peerings/{id}/reject", c.rejectPeering)
	post("/peerings/{id}/delete", c.deletePeering)
	post("/route-tables/{id}/routes", c.addRoute)
	post("/route-tables/{id}/routes/delete", c.deleteRoute)
	post("/route-tables/{id}/edit", c.editRoutes)
	post("/reach/probe", c.probeAll)
	post("/explain", c.explainProbe)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		v := c.newView(w, r)
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "/" {
				w.Header().Set("Allow", m)
				v.fail(http.StatusMethodNotAllowed, control.Errorf(control.CodeInvalidParameter, "%s %s: method not allowed; the page takes %s", r.Method, r.URL.Path, m))
				return
			}
		}
		v.fail(http.StatusNotFound, control.Errorf(control.CodeInvalidParameter, "%s: %s", r.URL.Path, v.text.PageNotFound))
	})
	c.mux = mux
}

// ServeHTTP serves the console: security headers on every answer, the
// host check, and the CSRF check of every request that is not a GET.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	if c.opts.LoopbackOnly && !loopbackHost(r.Host) {
		http.Error(w, "vpcsim console: this console answers only on a loopback address (misdirected request for "+
			fmt.Sprintf("%q", r.Host)+")", http.StatusMisdirectedRequest)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if c.csrf.Check(r) != nil || !c.checkCSRF(r) {
			c.log.Warn("console: request refused: no valid CSRF token", "method", r.Method, "path", r.URL.Path)
			v := c.newView(w, r)
			v.fail(http.StatusForbidden, control.Errorf(control.CodeNotPermitted, "%s", v.text.CSRFRefused))
			return
		}
	}
	c.mux.ServeHTTP(w, r)
}

// loopbackHost reports whether the Host header host names a loopback
// address: localhost, 127.0.0.0/8 or ::1, with or without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// view is one request to the console: the browser's language, session
// and account, and a client of the API acting as that account.
type view struct {
	c    *Console
	w    http.ResponseWriter
	r    *http.Request
	ctx  context.Context
	text *Text
	sess string
	acct string
	api  *api.Client
}

func (c *Console) newView(w http.ResponseWriter, r *http.Request) *view {
	v := &view{c: c, w: w, r: r, ctx: r.Context(), text: language(r), sess: session(w, r), acct: c.accountOf(r)}
	v.api = api.NewHandlerClient(c.api, v.acct)
	return v
}

// accountOf returns the account the browser of r acts as: its cookie's,
// else the topology's first.
func (c *Console) accountOf(r *http.Request) string {
	if ck, err := r.Cookie(accountCookie); err == nil {
		if _, ok := c.dir.account(ck.Value); ok {
			return ck.Value
		}
	}
	return c.dir.accounts[0].ID
}

// page is what every page's template is given.
type page struct {
	T        *Text
	Title    string
	Nav      string // the navigation entry of the page
	Topology string
	Account  control.Account
	Accounts []control.Account
	CSRF     string
	Here     string // the request's URI, where a form returns to
	URL      string // the page's own URL, which a live update fetches; "" for the request's
	Static   bool   // no live updates: the page shows the answer to a POST, or a form
	Seq      uint64 // the last journal event the page shows
	Poll     int    // milliseconds between refreshes besides events; 0: none
	Notice   string
	Warnings []string // what the API said is likely wrong with a change it made
	Err      *control.Error
	Back     string // where an error page leads back to
	Data     any
}

// render writes the page of the template name with status.
func (v *view) render(status int, name string, p *page) {
	p.T = v.text
	p.Topology = v.c.top.Name
	p.CSRF = v.c.csrfToken(v.sess)
	p.Here = v.r.URL.RequestURI()
	p.Seq = v.c.live.last(v.acct)
	switch {
	case p.Static:
		p.URL = ""
	case p.URL == "" && v.r.Method == http.MethodGet:
		p.URL = p.Here
	}
	if as, err := v.api.Accounts(v.ctx); err == nil {
		p.Accounts = as
	} else {
		v.c.log.Warn("console: accounts", "err", err)
	}
	if p.Account.ID == "" {
		var err error
		if p.Account, err = v.api.Account(v.ctx); err != nil {
			v.c.log.Warn("console: account", "err", err)
		}
	}
	t := v.c.pages[name]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		v.c.log.Error("console: render", "page", name, "err", err)
		http.Error(v.w, "vpcsim console: cannot render the page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	v.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	v.w.WriteHeader(status)
	v.w.Write(buf.Bytes())
}

// fail renders err on a page of its own, with status (0: the HTTP status
// of err's code).
func (v *view) fail(status int, err error) {
	e := control.AsError(err)
	if status == 0 {
		status = api.HTTPStatus(e.Code)
	}
	v.render(status, "error", &page{Title: v.text.ErrorTitle, Err: e, Static: true})
}

// failBack is fail for a change made from the page back, which the error
// page leads back to.
func (v *view) failBack(err error, back string) {
	e := control.AsError(err)
	v.render(api.HTTPStatus(e.Code), "error", &page{Title: v.text.ErrorTitle, Err: e, Static: true, Back: back})
}

// redirect answers a change that succeeded: the browser goes to path
// (303 See Other), so that reloading does not repeat the change.
func (v *view) redirect(path string) {
	http.Redirect(v.w, v.r, path, http.StatusSeeOther)
}
