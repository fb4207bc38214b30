// Package api serves a topology's control plane over HTTP/JSON on a Unix
// socket, and is the client the vpcsim command uses to talk to it.
//
// Every request names the acting account in the Vpcsim-Account header (empty
// or absent: the topology's first account). Errors are JSON objects
// {"code": "...", "message": "..."} carrying a control error code, with an
// HTTP status that matches it: 404 for unknown ids, 403 NotPermitted, 409
// for conflicts with the current state, 400 for bad parameters.
//
// The endpoints:
//
//	POST   /v1/peerings                 create (body: control.CreatePeeringRequest)
//	GET    /v1/peerings[?all=true]      list
//	GET    /v1/peerings/{id}            show, with related routes
//	POST   /v1/peerings/{id}/accept     accept
//	POST   /v1/peerings/{id}/reject     reject
//	DELETE /v1/peerings/{id}            delete
//	POST   /v1/routes                   add (body: AddRouteRequest)
//	DELETE /v1/routes?table=&destination=
//	GET    /v1/routes[?table=][&vpc=]   list, local routes included
//	GET    /v1/account                  the acting account
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

// Listen listens on the Unix socket path, mode 0600. It creates the socket's
// directory when needed and removes a stale socket left by a daemon that
// died; a socket a live daemon still answers on is ErrSocketInUse.
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
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	return l, nil
}
