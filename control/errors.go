package control

import (
	"errors"
	"fmt"
	"strings"
)

// Code is the stable name of an error the product reports: on the command
// line as "error: <Code>: <message>", in the API as {"code": ...}. Scripts
// may match on codes; messages are for people.
type Code string

// The codes of the control plane: the cloud's rules and unknown ids.
const (
	CodeCrossRegionNotSupported  Code = "CrossRegionNotSupported"
	CodeCidrOverlap              Code = "CidrOverlap"
	CodePeeringAlreadyExists     Code = "PeeringAlreadyExists"
	CodePeeringLimitExceeded     Code = "PeeringLimitExceeded"
	CodeNotPermitted             Code = "NotPermitted"
	CodeInvalidState             Code = "InvalidState"
	CodePeeringNotFound          Code = "PeeringNotFound"
	CodeVpcNotFound              Code = "VpcNotFound"
	CodeRouteTableNotFound       Code = "RouteTableNotFound"
	CodeAccountNotFound          Code = "AccountNotFound"
	CodeRouteNotFound            Code = "RouteNotFound"
	CodeRouteAlreadyExists       Code = "RouteAlreadyExists"
	CodeDestinationOverlapsLocal Code = "DestinationOverlapsLocal"
	CodePeeringNotActive         Code = "PeeringNotActive"
	CodeRouteLimitExceeded       Code = "RouteLimitExceeded"
	CodeInvalidParameter         Code = "InvalidParameter"
)

// The codes of a running topology and of the command line around it.
const (
	// CodeHostNotFound: no host of that name, or not one the acting
	// account may see.
	CodeHostNotFound Code = "HostNotFound"
	// CodeMissingParameter: something that must be given was not, such as
	// --topology while several topologies run.
	CodeMissingParameter Code = "MissingParameter"
	// CodeTopologyNotRunning: the named topology, or any, is not running.
	CodeTopologyNotRunning Code = "TopologyNotRunning"
	// CodeAlreadyRunning: a topology of that name is already running.
	CodeAlreadyRunning Code = "AlreadyRunning"
	// CodeStateMismatch: a topology's saved state was made from another
	// file than the one given.
	CodeStateMismatch Code = "StateMismatch"
	// CodeAddressInUse: an address to listen on is taken.
	CodeAddressInUse Code = "AddressInUse"
	// CodeLimitExceeded: what was asked passes a limit of the machine,
	// such as its open-file limit for a topology's hosts.
	CodeLimitExceeded Code = "LimitExceeded"
	// CodeInternal: anything else; the message says what failed.
	CodeInternal Code = "Internal"
)

// Codes returns every code, in the order of the README's list.
func Codes() []Code {
	return []Code{
		CodeCrossRegionNotSupported, CodeCidrOverlap, CodePeeringAlreadyExists, CodePeeringLimitExceeded,
		CodeNotPermitted, CodeInvalidState, CodePeeringNotFound, CodeVpcNotFound, CodeRouteTableNotFound,
		CodeAccountNotFound, CodeRouteNotFound, CodeRouteAlreadyExists, CodeDestinationOverlapsLocal,
		CodePeeringNotActive, CodeRouteLimitExceeded, CodeInvalidParameter,
		CodeHostNotFound, CodeMissingParameter, CodeTopologyNotRunning, CodeAlreadyRunning,
		CodeStateMismatch, CodeAddressInUse, CodeLimitExceeded, CodeInternal,
	}
}

// Error is an error with a Code: a rule violation, an unknown id, or a
// failure of a running topology. Message says what was wrong, quoting the
// offending ids and CIDRs.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Error formats e as "Code: Message".
func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &Error{Code: CodeCidrOverlap}) matches any CidrOverlap.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, or "" when there
// is none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// AsError returns err as an *Error: the one in err's chain, its message
// keeping the context wrapped around it ("topology x: Code: msg" becomes
// Code "topology x: msg"); any other error is an Internal one with err's
// text. nil stays nil.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) {
		return &Error{Code: CodeInternal, Message: err.Error()}
	}
	if err == error(e) {
		return e
	}
	return &Error{Code: e.Code, Message: strings.Replace(err.Error(), string(e.Code)+": ", "", 1)}
}
