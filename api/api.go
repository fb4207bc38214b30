// Package api is the one HTTP surface of a running topology: every
// endpoint, the wire types and the typed Client that the vpcsim command, the
// console and any other client use. A daemon serves it on a Unix socket
// (SocketPath, mode 0600) with NewServer, implementing Backend for what is
// not the control plane; metrics are served apart, on TCP, by
// NewMetricsServer. Within the daemon's process, NewHandlerClient calls the
// same endpoints without a socket: the web console does.
//
// Every request names the acting account in the Vpcsim-Account header (empty
// or absent: the topology's first account). Errors are JSON objects
// {"code": "...", "message": "..."} carrying a control.Code, with the HTTP
// status of HTTPStatus: 404 for unknown ids, 403 NotPermitted, 409 for
// conflicts with the current state, 400 for bad parameters, 500 Internal.
//
// The endpoints:
//
//	POST   /v1/peerings                 create (body: control.CreatePeeringRequest) -> control.Peering
//	GET    /v1/peerings[?all=true][&vpc=][&region=][&status=]   list -> []control.Peering
//	GET    /v1/peerings/{id}            show -> control.PeeringDetail (with related routes)
//	POST   /v1/peerings/{id}/accept     accept -> control.Peering
//	POST   /v1/peerings/{id}/reject     reject -> control.Peering
//	DELETE /v1/peerings/{id}            delete, with its routes -> control.Peering
//	POST   /v1/routes                   add (body: AddRouteRequest) -> RouteChange
//	PUT    /v1/routes                   replace, in one change (body: ReplaceRouteRequest) -> RouteChange
//	DELETE /v1/routes?table=&destination=     delete -> control.Route
//	GET    /v1/routes[?table=][&vpc=][&peering=]   list, local routes included -> []control.Route
//	GET    /v1/account                  the acting account -> control.Account
//	GET    /v1/accounts                 the topology's accounts -> []control.Account
//	GET    /v1/status                   the topology -> Status
//	GET    /v1/stats[?vpc=][&peering=][&host=]   the data plane's counters -> Stats
//	GET    /v1/explain?src=&dst=[&protocol=icmp|tcp|udp][&port=N][&probe=true] -> explain.Result
//	POST   /v1/explain                  a batch (body: ExplainBatchRequest, at most MaxExplainBatch) -> []explain.Result
//	GET    /v1/intent                   the hosts and the expect: rules with their host pairs -> intent.Plan
//	GET    /v1/capture?peering=ID|host=NAME[&count=N][&duration=D]
//	                                    a pcapng stream; trailers CaptureWrittenTrailer, CaptureDroppedTrailer
//	POST   /v1/shutdown                 tear the topology down after replying
//	GET    /v1/save                     the topology as it runs, as a topology file (YAML)
//	GET    /v1/events?after=N[&limit=M][&follow=true]
//	                                    the journal -> []control.Event; with follow, JSON lines as they happen
//	POST   /v1/console                  serve the web console (body: ConsoleRequest) -> Console
//	GET    /metrics                     Prometheus metrics (NewMetricsServer, on TCP)
package api

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"
)

// RunDir is where running topologies keep their control sockets.
const RunDir = "/run/vpcsim"

// RunDirEnv names the environment variable that overrides RunDir (tests,
// unprivileged experiments).
const RunDirEnv = "VPCSIM_RUN_DIR"

// AccountHeader is the request header naming the acting account.
const AccountHeader = "Vpcsim-Account"

// ErrSocketInUse reports that a live daemon already listens on a socket.
var ErrSocketInUse = errors.New("socket is in use by a running topology")

// SocketDir returns the directory of the control sockets: $VPCSIM_RUN_DIR
// when set, else RunDir.
func SocketDir() string {
	if d := os.Getenv(RunDirEnv); d != "" {
		return d
	}
	return RunDir
}

// SocketPath returns the control socket of the topology name.
func SocketPath(name string) string {
	return filepath.Join(SocketDir(), name+".sock")
}

// LogPath returns the log of the daemon of the topology name, beside its
// socket. The daemon appends to it; vpcsim down removes it.
func LogPath(name string) string {
	return filepath.Join(SocketDir(), name+".log")
}

// Listen listens on the Unix socket path, mode 0600 from the moment it
// exists: it is made in a directory only its owner may enter, then renamed
// into place. Listen creates the socket's directory when needed and
// removes a stale socket left by a daemon that died; a socket a live
// daemon still answers on is ErrSocketInUse. Closing the listener removes
// the socket.
func Listen(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("listen %s: exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("listen %s: %w", path, ErrSocketInUse)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("listen %s: remove stale socket: %w", path, err)
		}
	}
	private, err := os.MkdirTemp(filepath.Dir(path), ".listen-")
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	defer os.RemoveAll(private)
	tmp := filepath.Join(private, "s")
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	l.SetUnlinkOnClose(false) // it will not be at tmp
	if err := os.Chmod(tmp, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	return &socketListener{UnixListener: l, path: path}, nil
}

// socketListener removes its socket when it closes.
type socketListener struct {
	*net.UnixListener
	path string
}

func (l *socketListener) Close() error {
	err := l.UnixListener.Close()
	os.Remove(l.path)
	return err
}

// Addr returns the socket's path, where clients connect.
func (l *socketListener) Addr() net.Addr { return &net.UnixAddr{Name: l.path, Net: "unix"} }
