package api

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/vpcsim/vpcsim/control"
)

// NewHandlerClient returns a client of the API that h serves in this
// process, acting as account ("" is the topology's first account): no
// socket and no connection, each request is handed to h.ServeHTTP in a
// goroutine of its own and the response flows back through a pipe as h
// writes it, so streams (FollowEvents, Capture) and trailers behave as over
// the socket. The web console calls the API of the daemon it runs in with
// one, so that it goes through the same endpoints as the command line.
func NewHandlerClient(h http.Handler, account string) *Client {
	return &Client{account: account, timeout: DefaultTimeout, hc: &http.Client{Transport: handlerTransport{h}}}
}

// handlerTransport is an http.RoundTripper that serves requests with a
// handler in the same process.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	sr := req.Clone(ctx)
	sr.RequestURI = req.URL.RequestURI()
	sr.RemoteAddr = "in-process"
	if sr.Host == "" {
		sr.Host = req.URL.Host
	}
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	pr, pw := io.Pipe()
	w := &pipeResponse{header: make(http.Header), body: pw, started: make(chan struct{})}
	go w.serve(t.h, sr)
	select {
	case <-w.started:
	case <-ctx.Done():
		pr.CloseWithError(ctx.Err()) // the handler's writes fail; it ends
		return nil, ctx.Err()
	}
	// A context that ends while the body is read ends the read, as a
	// connection's would.
	stop := context.AfterFunc(ctx, func() { pr.CloseWithError(ctx.Err()) })
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", w.code, http.StatusText(w.code)),
		StatusCode:    w.code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.sent,
		Trailer:       w.trailer,
		Body:          &pipeBody{PipeReader: pr, stop: stop},
		ContentLength: -1,
		Request:       req,
	}, nil
}

// pipeBody is the body of an in-process response.
type pipeBody struct {
	*io.PipeReader
	stop func() bool
}

func (b *pipeBody) Close() error {
	b.stop()
	return b.PipeReader.Close()
}

// pipeResponse is the http.ResponseWriter of an in-process request: the
// header is handed over at WriteHeader, the body through a pipe. Writes
// block until the client reads them; a client that closes the body fails
// them, as a closed connection would.
type pipeResponse struct {
	header  http.Header // the handler's, changed at will
	body    *io.PipeWriter
	started chan struct{} // closed by WriteHeader

	// Set by WriteHeader, before started is closed.
	wrote   bool
	code    int
	sent    http.Header // the header as sent
	trailer http.Header // the declared trailers, filled when the handler returns
}

func (w *pipeResponse) Header() http.Header { return w.header }

func (w *pipeResponse) WriteHeader(code int) {
	if w.wrote || (code >= 100 && code < 200) {
		return // informational answers are not passed on
	}
	w.wrote, w.code = true, code
	w.sent = w.header.Clone()
	w.trailer = make(http.Header)
	for _, v := range w.sent.Values("Trailer") {
		for _, k := range strings.Split(v, ",") {
			if k = strings.TrimSpace(k); k != "" {
				w.trailer[http.CanonicalHeaderKey(k)] = nil
			}
		}
	}
	w.sent.Del("Trailer")
	close(w.started)
}

func (w *pipeResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Flush sends the header if it is not yet sent; the body needs no flush,
// as every write reaches the client when it returns.
func (w *pipeResponse) Flush() { w.WriteHeader(http.StatusOK) }

// serve runs h, then ends the body with the trailers in place. A handler
// that panics before the header is answered with an Internal error; one
// that panics later ends the body with an error, as a connection the
// server drops would.
func (w *pipeResponse) serve(h http.Handler, r *http.Request) {
	defer func() {
		p := recover()
		r.Body.Close()
		if p != nil && !w.wrote {
			WriteError(w, control.Errorf(control.CodeInternal, "the API handler failed: %v", p))
			p = nil
		}
		w.WriteHeader(http.StatusOK)
		for k := range w.trailer {
			w.trailer[k] = w.header.Values(k)
		}
		for k, v := range w.header {
			if name, ok := strings.CutPrefix(k, http.TrailerPrefix); ok {
				w.trailer[http.CanonicalHeaderKey(name)] = v
			}
		}
		if p != nil {
			w.body.CloseWithError(fmt.Errorf("the API handler failed: %v", p))
			return
		}
		w.body.Close()
	}()
	h.ServeHTTP(w, r)
}
