package control

import (
	"errors"
	"fmt"
)

// Error codes of the control plane, as the API and the command line report
// them. They are stable: scripts may match on them.
const (
	CodeCrossRegionNotSupported  = "CrossRegionNotSupported"
	CodeCidrOverlap              = "CidrOverlap"
	CodePeeringAlreadyExists     = "PeeringAlreadyExists"
	CodePeeringLimitExceeded     = "PeeringLimitExceeded"
	CodeNotPermitted             = "NotPermitted"
	CodeInvalidState             = "InvalidState"
	CodePeeringNotFound          = "PeeringNotFound"
	CodeVpcNotFound              = "VpcNotFound"
	CodeRouteTableNotFound       = "RouteTableNotFound"
	CodeAccountNotFound          = "AccountNotFound"
	CodeRouteNotFound            = "RouteNotFound"
	CodeRouteAlreadyExists       = "RouteAlreadyExists"
	CodeDestinationOverlapsLocal = "DestinationOverlapsLocal"
	CodePeeringNotActive         = "PeeringNotActive"
	CodeInvalidParameter         = "InvalidParameter"
)

// Error is a rule violation or an unknown id reported by the control plane.
// Code is one of the Code constants; Message says what was wrong, quoting
// the offending ids and CIDRs.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error formats e as "Code: Message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, &Error{Code: CodeCidrOverlap}) matches any CidrOverlap.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// ErrorCode returns the code of the *Error in err's chain, or "" when there
// is none.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
