package daemon

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
)

func TestServeConsole(t *testing.T) {
	f := newFakeDaemon(t, "best-practice.yaml")
	ctx := context.Background()
	c := api.NewClient(api.SocketPath(f.Topology.Name), "")
	if _, err := api.NewClient(api.SocketPath(f.Topology.Name), "200000000002").ServeConsole(ctx, ""); control.ErrorCode(err) != control.CodeNotPermitted {
		t.Errorf("ServeConsole as the second account = %v, want NotPermitted", err)
	}
	if _, err := c.ServeConsole(ctx, "nine"); control.ErrorCode(err) != control.CodeInvalidParameter {
		t.Errorf("ServeConsole(nine) = %v, want InvalidParameter", err)
	}
	if st, err := c.Status(ctx); err != nil || st.Console != "" {
		t.Errorf("status before the console serves: console %q, %v; want none", st.Console, err)
	}
	info, err := c.ServeConsole(ctx, "")
	if err != nil {
		t.Fatalf("ServeConsole() = %v", err)
	}
	if st, err := c.Status(ctx); err != nil || st.Console != info.URL {
		t.Errorf("status once the console serves: console %q, %v; want %s", st.Console, err, info.URL)
	}
	if !strings.HasPrefix(info.URL, "http://127.0.0.1:") || info.Warning != "" || info.URL != "http://"+info.Addr+"/" {
		t.Errorf("ServeConsole() = %+v, want a URL of a loopback port and no warning", info)
	}
	resp, err := http.Get(info.URL + "vpcs")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "192.168.0.0/16") {
		t.Errorf("GET %svpcs = %d, want the VPC page", info.URL, resp.StatusCode)
	}
	again, err := c.ServeConsole(ctx, "")
	if err != nil || again != info {
		t.Errorf("ServeConsole() again = %+v, %v; want %+v", again, err, info)
	}
	if same, err := c.ServeConsole(ctx, info.Addr); err != nil || same != info {
		t.Errorf("ServeConsole(%s) = %+v, %v; want %+v", info.Addr, same, err, info)
	}
	if _, err := c.ServeConsole(ctx, "127.0.0.1:1"); control.ErrorCode(err) != control.CodeInvalidState {
		t.Errorf("ServeConsole(another address) = %v, want InvalidState", err)
	}
	if got, ok := f.Console(); !ok || got != info {
		t.Errorf("Console() = %+v, %v", got, ok)
	}
	f.Close()
	if _, err := http.Get(info.URL + "vpcs"); err == nil {
		t.Error("the console still answers after Close")
	}
}

func TestConsoleAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	d := newDaemon(&topology.Topology{Name: "x"}, slog.New(slog.DiscardHandler))
	d.console.mu.Lock()
	err = d.listenConsoleLocked(l.Addr().String())
	d.console.mu.Unlock()
	if control.ErrorCode(err) != control.CodeAddressInUse {
		t.Errorf("listen on a taken address = %v, want AddressInUse", err)
	}
}

func TestConsoleInfo(t *testing.T) {
	tests := []struct {
		addr    string
		url     string
		warning bool
	}{
		{"127.0.0.1:8080", "http://127.0.0.1:8080/", false},
		{"[::1]:8080", "http://[::1]:8080/", false},
		{"0.0.0.0:8080", "http://127.0.0.1:8080/", true},
		{"192.168.1.5:80", "http://192.168.1.5:80/", true},
	}
	for _, tt := range tests {
		a := net.TCPAddrFromAddrPort(netip.MustParseAddrPort(tt.addr))
		got := consoleInfo(a)
		if got.URL != tt.url || (got.Warning != "") != tt.warning {
			t.Errorf("consoleInfo(%s) = %+v, want URL %s and a warning: %v", tt.addr, got, tt.url, tt.warning)
		}
	}
}
