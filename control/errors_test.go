package control

import (
	"errors"
	"fmt"
	"testing"
)

func TestError(t *testing.T) {
	err := error(&Error{Code: CodeCidrOverlap, Message: "vpc1 cidr 10.0.0.0/16 overlaps vpc2 cidr 10.0.0.0/8"})
	if got, want := err.Error(), "CidrOverlap: vpc1 cidr 10.0.0.0/16 overlaps vpc2 cidr 10.0.0.0/8"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	wrapped := fmt.Errorf("launch: %w", err)
	if !errors.Is(wrapped, &Error{Code: CodeCidrOverlap}) {
		t.Errorf("errors.Is(%v, CidrOverlap) = false, want true", wrapped)
	}
	if errors.Is(wrapped, &Error{Code: CodeVpcNotFound}) {
		t.Errorf("errors.Is(%v, VpcNotFound) = true, want false", wrapped)
	}
	tests := []struct {
		err  error
		want Code
	}{
		{wrapped, CodeCidrOverlap},
		{errors.New("plain"), ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := ErrorCode(tt.err); got != tt.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
