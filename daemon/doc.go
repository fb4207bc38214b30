// Package daemon runs one topology: it validates the file, creates a network
// namespace and TUN device per host, starts the VPC routers, applies the
// control-plane state to them and serves the control API on a Unix socket.
//
// A running topology leaves a record in the run directory (RunDir) before it
// creates anything, so that a daemon killed at any moment can be cleaned up
// by Cleanup from another process.
package daemon
