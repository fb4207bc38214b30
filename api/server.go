package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/explain"
	"github.com/vpcsim/vpcsim/intent"
	"github.com/vpcsim/vpcsim/router"
)

// Backend is what a running topology offers the API besides its control
// plane: the data plane's observations and its own lifecycle. The daemon
// implements it. acct is the acting account as the request named it ("":
// the topology's first account).
type Backend interface {
	// Status describes the topology as acct sees it.
	Status(acct string) (Status, error)
	// Stats returns the data plane's counters that f selects.
	Stats(acct string, f StatsFilter) (Stats, error)
	// Explain explains req (see package explain), sending real packets
	// from the source host when req.Probe is set.
	Explain(ctx context.Context, acct string, req ExplainRequest) (*explain.Result, error)
	// ExplainAll explains reqs in order against one reading of the
	// configuration; with probe it sends real packets for each, a few
	// dozen at a time, with a receiver on the destination host of each
	// TCP and UDP port.
	ExplainAll(ctx context.Context, acct string, reqs []explain.Request, probe bool) ([]*explain.Result, error)
	// Intent returns the topology's hosts and the expect: rules of its
	// file with their host pairs.
	Intent(acct string) (intent.Plan, error)
	// CapturePoint resolves where a capture of req taps the data plane;
	// a peering or host acct may not see is not found.
	CapturePoint(acct string, req CaptureRequest) (CapturePoint, error)
	// Shutdown asks the topology to stop once the reply is sent.
	Shutdown(acct string) error
	// Save returns the running topology, with every change made since
	// launch, as a topology file.
	Save(acct string) ([]byte, error)
	// ServeConsole serves the web console of the topology on req.Addr, or
	// returns where it serves already.
	ServeConsole(acct string, req ConsoleRequest) (Console, error)
}

// CapturePoint is where a capture taps the data plane: two pcapng
// interfaces, and Attach, which attaches one tap to each and returns the
// function that detaches them.
type CapturePoint struct {
	Names  [2]string
	Attach func(a, b router.Tap) (detach func(), err error)
}

// Limits of the API server: they keep a client that sends slowly, holds
// connections idle or opens thousands of them from taking the API away
// from the others. Streams (a capture) stay open while they make progress:
// each write pushes their deadline StreamTimeout further.
const (
	maxBody           = 1 << 20          // bytes of a request body
	ReadHeaderTimeout = 10 * time.Second // to send a request's headers
	ReadTimeout       = 30 * time.Second // to send a whole request
	WriteTimeout      = 60 * time.Second // to answer, but for streams
	StreamTimeout     = 60 * time.Second // between two writes of a stream
	IdleTimeout       = 30 * time.Second // a keep-alive connection waits for its next request
	MaxConnections    = 256              // open at once; more wait to be accepted
)

// Server serves the API of one topology. Create it with NewServer.
type Server struct {
	http     *http.Server
	cancel   context.CancelFunc // ends the requests in flight: streams stop
	maxConns int
}

// NewServer returns a server of the API of the control state st and the
// backend b, logging to log (nil: nowhere).
func NewServer(st *control.State, b Backend, log *slog.Logger) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		http: &http.Server{
			Handler:           Handler(st, b, log),
			ReadHeaderTimeout: ReadHeaderTimeout,
			ReadTimeout:       ReadTimeout,
			WriteTimeout:      WriteTimeout,
			IdleTimeout:       IdleTimeout,
			BaseContext:       func(net.Listener) context.Context { return ctx },
		},
		cancel:   cancel,
		maxConns: MaxConnections,
	}
}

// Serve accepts connections on l, at most MaxConnections at once, until
// Close; then it returns nil.
func (s *Server) Serve(l net.Listener) error {
	if err := s.http.Serve(limitListener(l, s.maxConns)); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close ends the streams in flight, stops accepting requests and waits for
// the others to finish until ctx is done.
func (s *Server) Close(ctx context.Context) error {
	s.cancel()
	return s.http.Shutdown(ctx)
}

// Handler returns the handler of every endpoint of the API of st and b,
// logging to log (nil: nowhere).
func Handler(st *control.State, b Backend, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := handlers{st: st, b: b, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/peerings", h.createPeering)
	mux.HandleFunc("GET /v1/peerings", h.listPeerings)
	mux.HandleFunc("GET /v1/peerings/{id}", h.showPeering)
	mux.HandleFunc("POST /v1/peerings/{id}/accept", h.transition(st.AcceptPeering))
	mux.HandleFunc("POST /v1/peerings/{id}/reject", h.transition(st.RejectPeering))
	mux.HandleFunc("DELETE /v1/peerings/{id}", h.transition(st.DeletePeering))
	mux.HandleFunc("POST /v1/routes", h.addRoute)
	mux.HandleFunc("PUT /v1/routes", h.replaceRoute)
	mux.HandleFunc("DELETE /v1/routes", h.deleteRoute)
	mux.HandleFunc("GET /v1/routes", h.listRoutes)
	mux.HandleFunc("GET /v1/account", h.account)
	mux.HandleFunc("GET /v1/accounts", h.accounts)
	mux.HandleFunc("GET /v1/status", h.status)
	mux.HandleFunc("GET /v1/stats", h.stats)
	mux.HandleFunc("GET /v1/explain", h.explain)
	mux.HandleFunc("POST /v1/explain", h.explainBatch)
	mux.HandleFunc("GET /v1/intent", h.intent)
	mux.HandleFunc("GET /v1/capture", h.capture)
	mux.HandleFunc("POST /v1/shutdown", h.shutdown)
	mux.HandleFunc("GET /v1/events", h.events)
	mux.HandleFunc("GET /v1/save", h.save)
	mux.HandleFunc("POST /v1/console", h.console)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { noEndpoint(mux, w, r) })
	return mux
}

// noEndpoint answers a request no endpoint takes, as JSON: 405 with the
// methods the path takes, or 404.
func noEndpoint(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeJSON(w, http.StatusMethodNotAllowed, control.Errorf(control.CodeInvalidParameter,
			"%s %s: method not allowed; the endpoint takes %s", r.Method, r.URL.Path, strings.Join(allow, ", ")))
		return
	}
	writeJSON(w, http.StatusNotFound, control.Errorf(control.CodeInvalidParameter, "no endpoint %s %s", r.Method, r.URL.Path))
}

type handlers struct {
	st  *control.State
	b   Backend
	log *slog.Logger
}

func acct(r *http.Request) string { return r.Header.Get(AccountHeader) }

func (h handlers) createPeering(w http.ResponseWriter, r *http.Request) {
	var req control.CreatePeeringRequest
	if !decode(w, r, &req) {
		return
	}
	p, err := h.st.CreatePeering(acct(r), req)
	reply(w, http.StatusCreated, p, err)
}

func (h handlers) listPeerings(w http.ResponseWriter, r *http.Request) {
	all, err := boolParam(r, "all")
	if err != nil {
		WriteError(w, err)
		return
	}
	q := r.URL.Query()
	f := control.PeeringFilter{All: all, VPC: q.Get("vpc"), Region: q.Get("region"), Status: control.Status(q.Get("status"))}
	ps, err := h.st.ListPeerings(acct(r), f)
	reply(w, http.StatusOK, ps, err)
}

func (h handlers) showPeering(w http.ResponseWriter, r *http.Request) {
	d, err := h.st.ShowPeering(acct(r), r.PathValue("id"))
	reply(w, http.StatusOK, d, err)
}

// transition answers a change of the peering in the path: accept, reject
// or delete.
func (h handlers) transition(change func(acct, id string) (control.Peering, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := change(acct(r), r.PathValue("id"))
		reply(w, http.StatusOK, p, err)
	}
}

func (h handlers) addRoute(w http.ResponseWriter, r *http.Request) {
	var req AddRouteRequest
	if !decode(w, r, &req) {
		return
	}
	rt, err := h.st.AddRoute(acct(r), req.RouteTable, req.Destination, req.Peering)
	h.replyRouteChange(w, r, http.StatusCreated, rt, err)
}

func (h handlers) replaceRoute(w http.ResponseWriter, r *http.Request) {
	var req ReplaceRouteRequest
	if !decode(w, r, &req) {
		return
	}
	rt, err := h.st.ReplaceRoute(acct(r), req.RouteTable, req.Destination, req.NewDestination, req.Peering)
	h.replyRouteChange(w, r, http.StatusOK, rt, err)
}

// replyRouteChange answers a call that made the route rt, or failed with
// err: the route and what is likely wrong with it.
func (h handlers) replyRouteChange(w http.ResponseWriter, r *http.Request, status int, rt control.Route, err error) {
	var rc RouteChange
	if err == nil {
		rc = RouteChange{Route: rt, Warnings: h.st.RouteWarnings(acct(r), rt)}
	}
	reply(w, status, rc, err)
}

func (h handlers) deleteRoute(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rt, err := h.st.DeleteRoute(acct(r), q.Get("table"), q.Get("destination"))
	reply(w, http.StatusOK, rt, err)
}

func (h handlers) listRoutes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rs, err := h.st.ListRoutes(acct(r), control.RouteFilter{Table: q.Get("table"), VPC: q.Get("vpc"), Peering: q.Get("peering")})
	reply(w, http.StatusOK, rs, err)
}

func (h handlers) account(w http.ResponseWriter, r *http.Request) {
	a, err := h.st.Account(acct(r))
	reply(w, http.StatusOK, a, err)
}

func (h handlers) accounts(w http.ResponseWriter, r *http.Request) {
	if _, err := h.st.Account(acct(r)); err != nil {
		WriteError(w, err)
		return
	}
	reply(w, http.StatusOK, h.st.Accounts(), nil)
}

func (h handlers) status(w http.ResponseWriter, r *http.Request) {
	s, err := h.b.Status(acct(r))
	reply(w, http.StatusOK, s, err)
}

func (h handlers) stats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s, err := h.b.Stats(acct(r), StatsFilter{VPC: q.Get("vpc"), Peering: q.Get("peering"), Host: q.Get("host")})
	reply(w, http.StatusOK, s, err)
}

func (h handlers) explain(w http.ResponseWriter, r *http.Request) {
	req, err := parseExplainRequest(r)
	if err != nil {
		WriteError(w, err)
		return
	}
	res, err := h.b.Explain(r.Context(), acct(r), req)
	reply(w, http.StatusOK, res, err)
}

func (h handlers) save(w http.ResponseWriter, r *http.Request) {
	b, err := h.b.Save(acct(r))
	if err != nil {
		WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Write(b)
}

func (h handlers) console(w http.ResponseWriter, r *http.Request) {
	var req ConsoleRequest
	if !decode(w, r, &req) {
		return
	}
	c, err := h.b.ServeConsole(acct(r), req)
	reply(w, http.StatusOK, c, err)
}

func (h handlers) shutdown(w http.ResponseWriter, r *http.Request) {
	reply(w, http.StatusOK, struct{}{}, h.b.Shutdown(acct(r)))
}

// parseExplainRequest reads
// src=HOST&dst=HOST|IP[&protocol=icmp|tcp|udp][&port=N][&probe=true].
func parseExplainRequest(r *http.Request) (ExplainRequest, error) {
	q := r.URL.Query()
	req := ExplainRequest{Request: explain.Request{Source: q.Get("src"), Destination: q.Get("dst"), Protocol: explain.Protocol(q.Get("protocol"))}}
	if req.Source == "" || req.Destination == "" {
		return req, control.Errorf(control.CodeInvalidParameter, "src and dst are required")
	}
	if s := q.Get("port"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return req, control.Errorf(control.CodeInvalidParameter, "invalid port %q: want 1..65535", s)
		}
		req.Port = n
	}
	var err error
	req.Probe, err = boolParam(r, "probe")
	return req, err
}

// boolParam reads the query parameter name: absent is false.
func boolParam(r *http.Request, name string) (bool, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return false, nil
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return false, control.Errorf(control.CodeInvalidParameter, "invalid %s=%q: want true or false", name, s)
	}
	return v, nil
}

// decode reads the JSON body of r into v; on failure it answers the request
// with an InvalidParameter error and returns false.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("data after the JSON object")
	}
	if err != nil {
		WriteError(w, control.Errorf(control.CodeInvalidParameter, "invalid request body: %v", err))
		return false
	}
	return true
}

// reply writes v with the status, or err.
func reply(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		WriteError(w, err)
		return
	}
	writeJSON(w, status, v)
}

// writeJSON writes v as the JSON body of a response with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// WriteError writes err as a JSON error body {"code", "message"} with the
// HTTP status of its code; an error without a code is Internal (500).
func WriteError(w http.ResponseWriter, err error) {
	e := control.AsError(err)
	writeJSON(w, HTTPStatus(e.Code), e)
}

// httpStatus is the HTTP status of every error code.
var httpStatus = map[control.Code]int{
	control.CodePeeringNotFound:    http.StatusNotFound,
	control.CodeVpcNotFound:        http.StatusNotFound,
	control.CodeRouteTableNotFound: http.StatusNotFound,
	control.CodeAccountNotFound:    http.StatusNotFound,
	control.CodeRouteNotFound:      http.StatusNotFound,
	control.CodeHostNotFound:       http.StatusNotFound,
	control.CodeTopologyNotRunning: http.StatusNotFound,

	control.CodeNotPermitted: http.StatusForbidden,

	control.CodeInvalidState:             http.StatusConflict,
	control.CodePeeringAlreadyExists:     http.StatusConflict,
	control.CodeRouteAlreadyExists:       http.StatusConflict,
	control.CodePeeringLimitExceeded:     http.StatusConflict,
	control.CodePeeringNotActive:         http.StatusConflict,
	control.CodeRouteLimitExceeded:       http.StatusConflict,
	control.CodeAlreadyRunning:           http.StatusConflict,
	control.CodeStateMismatch:            http.StatusConflict,
	control.CodeLimitExceeded:            http.StatusConflict,
	control.CodeAddressInUse:             http.StatusConflict,
	control.CodeCrossRegionNotSupported:  http.StatusBadRequest,
	control.CodeCidrOverlap:              http.StatusBadRequest,
	control.CodeDestinationOverlapsLocal: http.StatusBadRequest,
	control.CodeInvalidParameter:         http.StatusBadRequest,
	control.CodeMissingParameter:         http.StatusBadRequest,

	control.CodeInternal: http.StatusInternalServerError,
}

// HTTPStatus returns the HTTP status that goes with an error code: 404 for
// unknown ids, 403 NotPermitted, 409 for conflicts with the current state,
// 400 for bad parameters, 500 for Internal and any unknown code.
func HTTPStatus(code control.Code) int {
	if s, ok := httpStatus[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}
