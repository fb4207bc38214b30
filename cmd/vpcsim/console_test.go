package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

// consoleBackend answers POST /v1/console with info or err, and records
// the address asked for.
type consoleBackend struct {
	fakeBackend
	info  api.Console
	err   error
	asked []string
}

func (b *consoleBackend) ServeConsole(_ string, req api.ConsoleRequest) (api.Console, error) {
	b.asked = append(b.asked, req.Addr)
	return b.info, b.err
}

func TestConsoleCommand(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		info       api.Console
		err        error
		code       int
		out, errSW string // what stdout holds, what stderr starts with
	}{
		{"loopback", []string{"console"}, api.Console{URL: "http://127.0.0.1:41234/", Addr: "127.0.0.1:41234"}, nil, 0, "http://127.0.0.1:41234/\n", ""},
		{"beyond", []string{"console", "--addr", "0.0.0.0:8080"}, api.Console{URL: "http://127.0.0.1:8080/", Addr: "0.0.0.0:8080", Warning: "the console listens on 0.0.0.0:8080"}, nil, 0,
			"http://127.0.0.1:8080/\n", "warning: the console listens on 0.0.0.0:8080"},
		{"json", []string{"console", "-o", "json"}, api.Console{URL: "http://127.0.0.1:1/", Addr: "127.0.0.1:1"}, nil, 0, `"url": "http://127.0.0.1:1/"`, ""},
		{"taken", []string{"console", "--addr", ":8080"}, api.Console{}, control.Errorf(control.CodeAddressInUse, "console: 127.0.0.1:8080 is already in use"), 1,
			"", "error: AddressInUse: console: 127.0.0.1:8080 is already in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tempRunDir(t)
			b := &consoleBackend{info: tt.info, err: tt.err}
			serveFake(t, "one", nil, b)
			var out, errOut bytes.Buffer
			code := run(context.Background(), tt.args, &out, &errOut)
			if code != tt.code || !strings.Contains(out.String(), tt.out) || !strings.HasPrefix(errOut.String(), tt.errSW) {
				t.Errorf("vpcsim %s: exit %d, stdout %q, stderr %q; want %d, %q, %q", strings.Join(tt.args, " "), code, out.String(), errOut.String(), tt.code, tt.out, tt.errSW)
			}
			if tt.name == "json" {
				var c api.Console
				if err := json.Unmarshal(out.Bytes(), &c); err != nil || c != tt.info {
					t.Errorf("-o json = %q (%v), want %+v", out.String(), err, tt.info)
				}
			}
			wantAddr := ""
			for i, a := range tt.args {
				if a == "--addr" {
					wantAddr = tt.args[i+1]
				}
			}
			if len(b.asked) != 1 || b.asked[0] != wantAddr {
				t.Errorf("the daemon was asked for %q, want [%q]", b.asked, wantAddr)
			}
		})
	}
}
