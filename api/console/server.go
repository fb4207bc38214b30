package console

import (
	"context"
	"errors"
	"net"
	"net/http"

	"golang.org/x/net/netutil"

	"github.com/vpcsim/vpcsim/api"
)

// Server serves a Console over TCP with the API server's limits: a slow or
// idle browser cannot hold it (api.ReadHeaderTimeout and the others), and
// an event stream stays open while it makes progress. Create it with
// NewServer.
type Server struct {
	http   *http.Server
	cancel context.CancelFunc // ends the requests in flight: event streams stop
}

// NewServer returns a server of c.
func NewServer(c *Console) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		http: &http.Server{
			Handler:           c,
			ReadHeaderTimeout: api.ReadHeaderTimeout,
			ReadTimeout:       api.ReadTimeout,
			WriteTimeout:      api.WriteTimeout,
			IdleTimeout:       api.IdleTimeout,
			MaxHeaderBytes:    64 << 10,
			BaseContext:       func(net.Listener) context.Context { return ctx },
		},
		cancel: cancel,
	}
}

// Serve accepts connections on l, at most api.MaxConnections at once,
// until Close; then it returns nil.
func (s *Server) Serve(l net.Listener) error {
	if err := s.http.Serve(netutil.LimitListener(l, api.MaxConnections)); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close ends the event streams, stops accepting requests and waits for the
// others to finish until ctx is done.
func (s *Server) Close(ctx context.Context) error {
	s.cancel()
	return s.http.Shutdown(ctx)
}
