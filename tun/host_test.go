package tun

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestHostConfigNormalize(t *testing.T) {
	valid := HostConfig{
		Namespace: "best-practice-a1",
		Addr:      netip.MustParsePrefix("192.168.1.10/24"),
		Gateway:   netip.MustParseAddr("192.168.1.1"),
	}
	tests := []struct {
		name    string
		edit    func(*HostConfig)
		want    HostConfig // when no error is expected
		wantErr error
		wantMsg string // substring of the error
	}{
		{
			name: "defaults",
			edit: func(*HostConfig) {},
			want: HostConfig{Namespace: valid.Namespace, Addr: valid.Addr, Gateway: valid.Gateway,
				MTU: DefaultMTU, Queues: 1, TxQueueLen: DefaultTxQueueLen},
		},
		{
			name: "explicit",
			edit: func(c *HostConfig) { c.MTU, c.Queues, c.TxQueueLen = 9000, 4, 5000 },
			want: HostConfig{Namespace: valid.Namespace, Addr: valid.Addr, Gateway: valid.Gateway,
				MTU: 9000, Queues: 4, TxQueueLen: 5000},
		},
		{name: "empty namespace", edit: func(c *HostConfig) { c.Namespace = "" }, wantErr: ErrInvalidName, wantMsg: `""`},
		{name: "dot dot", edit: func(c *HostConfig) { c.Namespace = ".." }, wantErr: ErrInvalidName, wantMsg: `".."`},
		{name: "slash", edit: func(c *HostConfig) { c.Namespace = "a/b" }, wantErr: ErrInvalidName, wantMsg: `"a/b"`},
		{name: "too long", edit: func(c *HostConfig) { c.Namespace = strings.Repeat("x", 256) }, wantErr: ErrInvalidName, wantMsg: "255"},
		{name: "no address", edit: func(c *HostConfig) { c.Addr = netip.Prefix{} }, wantErr: ErrInvalidConfig, wantMsg: "IPv4"},
		{name: "ipv6 address", edit: func(c *HostConfig) { c.Addr = netip.MustParsePrefix("fd00::2/64") }, wantErr: ErrInvalidConfig, wantMsg: "fd00::2/64"},
		{name: "/31", edit: func(c *HostConfig) { c.Addr = netip.MustParsePrefix("192.168.1.10/31") }, wantErr: ErrInvalidConfig, wantMsg: "/31"},
		{name: "no gateway", edit: func(c *HostConfig) { c.Gateway = netip.Addr{} }, wantErr: ErrInvalidConfig, wantMsg: "gateway"},
		{name: "gateway outside", edit: func(c *HostConfig) { c.Gateway = netip.MustParseAddr("192.168.2.1") }, wantErr: ErrInvalidConfig, wantMsg: "192.168.2.1"},
		{name: "gateway is host", edit: func(c *HostConfig) { c.Gateway = netip.MustParseAddr("192.168.1.10") }, wantErr: ErrInvalidConfig, wantMsg: "192.168.1.0/24"},
		{name: "mtu low", edit: func(c *HostConfig) { c.MTU = 67 }, wantErr: ErrInvalidConfig, wantMsg: "MTU 67"},
		{name: "mtu high", edit: func(c *HostConfig) { c.MTU = 65536 }, wantErr: ErrInvalidConfig, wantMsg: "MTU 65536"},
		{name: "queues negative", edit: func(c *HostConfig) { c.Queues = -1 }, wantErr: ErrInvalidConfig, wantMsg: "-1 queues"},
		{name: "queues high", edit: func(c *HostConfig) { c.Queues = MaxQueues + 1 }, wantErr: ErrInvalidConfig, wantMsg: "queues"},
		{name: "txqueuelen negative", edit: func(c *HostConfig) { c.TxQueueLen = -5 }, wantErr: ErrInvalidConfig, wantMsg: "-5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			got, err := cfg.normalize()
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("normalize(%+v) error = %v, want %v mentioning %q", cfg, err, tt.wantErr, tt.wantMsg)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("normalize(%+v) = %+v, %v, want %+v, nil", cfg, got, err, tt.want)
			}
		})
	}
}

func TestExecArgs(t *testing.T) {
	cmd := Exec("ns1", "ping", "-c1", "10.0.0.1")
	want := []string{"ip", "netns", "exec", "ns1", "ping", "-c1", "10.0.0.1"}
	if got := cmd.Args; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("Exec(ns1, ping, -c1, 10.0.0.1).Args = %q, want %q", got, want)
	}
}
