package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/vpcsim/vpcsim/control"
)

// AddRouteRequest is the body of POST /v1/routes.
type AddRouteRequest struct {
	RouteTable  string `json:"route_table"`
	Destination string `json:"destination"`
	Peering     string `json:"peering"`
}

// CodeInternal is the code of an error that is not a control error.
const CodeInternal = "InternalError"

// maxBody bounds request bodies.
const maxBody = 1 << 20

// Register adds a handler per control operation on st to mux.
func Register(mux *http.ServeMux, st *control.State) {
	h := handlers{st}
	mux.HandleFunc("POST /v1/peerings", h.createPeering)
	mux.HandleFunc("GET /v1/peerings", h.listPeerings)
	mux.HandleFunc("GET /v1/peerings/{id}", h.showPeering)
	mux.HandleFunc("POST /v1/peerings/{id}/accept", h.acceptPeering)
	mux.HandleFunc("POST /v1/peerings/{id}/reject", h.rejectPeering)
	mux.HandleFunc("DELETE /v1/peerings/{id}", h.deletePeering)
	mux.HandleFunc("POST /v1/routes", h.addRoute)
	mux.HandleFunc("DELETE /v1/routes", h.deleteRoute)
	mux.HandleFunc("GET /v1/routes", h.listRoutes)
	mux.HandleFunc("GET /v1/account", h.account)
}

type handlers struct{ st *control.State }

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
	all := false
	if s := r.URL.Query().Get("all"); s != "" {
		var err error
		if all, err = strconv.ParseBool(s); err != nil {
			WriteError(w, &control.Error{Code: control.CodeInvalidParameter, Message: fmt.Sprintf("invalid all=%q: want true or false", s)})
			return
		}
	}
	ps, err := h.st.Peerings(acct(r), all)
	reply(w, http.StatusOK, ps, err)
}

func (h handlers) showPeering(w http.ResponseWriter, r *http.Request) {
	d, err := h.st.ShowPeering(acct(r), r.PathValue("id"))
	reply(w, http.StatusOK, d, err)
}

func (h handlers) acceptPeering(w http.ResponseWriter, r *http.Request) {
	p, err := h.st.AcceptPeering(acct(r), r.PathValue("id"))
	reply(w, http.StatusOK, p, err)
}

func (h handlers) rejectPeering(w http.ResponseWriter, r *http.Request) {
	p, err := h.st.RejectPeering(acct(r), r.PathValue("id"))
	reply(w, http.StatusOK, p, err)
}

func (h handlers) deletePeering(w http.ResponseWriter, r *http.Request) {
	p, err := h.st.DeletePeering(acct(r), r.PathValue("id"))
	reply(w, http.StatusOK, p, err)
}

func (h handlers) addRoute(w http.ResponseWriter, r *http.Request) {
	var req AddRouteRequest
	if !decode(w, r, &req) {
		return
	}
	rt, err := h.st.AddRoute(acct(r), req.RouteTable, req.Destination, req.Peering)
	reply(w, http.StatusCreated, rt, err)
}

func (h handlers) deleteRoute(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rt, err := h.st.DeleteRoute(acct(r), q.Get("table"), q.Get("destination"))
	reply(w, http.StatusOK, rt, err)
}

func (h handlers) listRoutes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rs, err := h.st.Routes(acct(r), q.Get("table"), q.Get("vpc"))
	reply(w, http.StatusOK, rs, err)
}

func (h handlers) account(w http.ResponseWriter, r *http.Request) {
	a, err := h.st.Account(acct(r))
	reply(w, http.StatusOK, a, err)
}

// decode reads the JSON body of r into v; on failure it answers the request
// with an InvalidParameter error and returns false.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		WriteError(w, &control.Error{Code: control.CodeInvalidParameter, Message: fmt.Sprintf("invalid request body: %v", err)})
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
	WriteJSON(w, status, v)
}

// WriteJSON writes v as the JSON body of a response with the status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// WriteError writes err as a JSON error body {"code", "message"} with the
// HTTP status of its code; an error that is not a *control.Error is an
// InternalError (500).
func WriteError(w http.ResponseWriter, err error) {
	var e *control.Error
	if !errors.As(err, &e) {
		e = &control.Error{Code: CodeInternal, Message: err.Error()}
	}
	WriteJSON(w, HTTPStatus(e.Code), e)
}

// HTTPStatus returns the HTTP status that goes with a control error code.
func HTTPStatus(code string) int {
	switch code {
	case control.CodePeeringNotFound, control.CodeVpcNotFound, control.CodeRouteTableNotFound,
		control.CodeAccountNotFound, control.CodeRouteNotFound:
		return http.StatusNotFound
	case control.CodeNotPermitted:
		return http.StatusForbidden
	case control.CodeInvalidState, control.CodePeeringAlreadyExists, control.CodeRouteAlreadyExists,
		control.CodePeeringLimitExceeded, control.CodePeeringNotActive:
		return http.StatusConflict
	case control.CodeCrossRegionNotSupported, control.CodeCidrOverlap, control.CodeDestinationOverlapsLocal,
		control.CodeInvalidParameter:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}
