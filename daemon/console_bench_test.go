package daemon

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/api/console"
	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/store"
	"github.com/vpcsim/vpcsim/topology"
)

// BenchmarkConsolePeeringList is the server time of the console's
// peering list (and of the list filtered to one VPC, the documentation's
// way) on a daemon of 500 VPCs and 1,000 peerings, the API in between as
// in a running topology: go test -run '^$' -bench ConsolePeeringList ./daemon/
func BenchmarkConsolePeeringList(b *testing.B) {
	d, c := benchConsole(b, 500, 1000)
	for _, bb := range []struct{ name, path string }{
		{"all", "/peerings"},
		{"vpc", "/peerings?region=wuhan&vpc=vpc7"},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			rows := 0
			for b.Loop() {
				rec := httptest.NewRecorder()
				c.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bb.path, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", bb.path, rec.Code)
				}
				rows = strings.Count(rec.Body.String(), "<tr data-peering=")
			}
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/float64(b.N), "ms/page")
		})
	}
	_ = d
}

// benchConsole returns a daemon on no hosts of vpcs VPCs, one in ten of a
// second account, joined by peerings (each VPC to the next two; across
// accounts they wait for acceptance), and its console.
func benchConsole(b *testing.B, vpcs, peerings int) (*Daemon, *console.Console) {
	b.Helper()
	const me, partner = "100000000001", "200000000002"
	top := &topology.Topology{File: "bench.yaml", Name: "bench", Region: "wuhan", MTU: 1500, PeeringExpiry: time.Hour, PeeringsPerVPC: 10,
		Accounts: []topology.Account{{ID: me, Name: "me"}, {ID: partner, Name: "partner"}}}
	for i := range vpcs {
		acct := me
		if i%10 == 9 {
			acct = partner
		}
		id := fmt.Sprintf("vpc%d", i)
		cidr := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i / 256), byte(i % 256), 0}), 24)
		top.VPCs = append(top.VPCs, topology.VPC{
			ID: id, Name: fmt.Sprintf("VPC %d", i), Account: acct, Region: "wuhan", CIDR: cidr,
			Subnets:     []topology.Subnet{{ID: id + "-a", CIDR: netip.PrefixFrom(cidr.Addr(), 25), RouteTable: id + "-default"}},
			RouteTables: []topology.RouteTable{{ID: id + "-default"}},
		})
	}
	d := newDaemon(top, slog.New(slog.DiscardHandler))
	var err error
	d.store = store.NewMemory()
	d.Network, d.State, err = Wire(top, nil, router.Config{}, control.Options{OnChange: d.logChange, Store: d.store})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	for n := 0; n < peerings; n++ {
		i, j := n/2, n/2+1+n%2
		v, pv := top.VPCs[i%vpcs], top.VPCs[j%vpcs]
		if _, err := d.State.CreatePeering(v.Account, control.CreatePeeringRequest{VPC: v.ID, PeerVPC: pv.ID, PeerAccount: pv.Account, Name: fmt.Sprintf("p%d", n)}); err != nil {
			b.Fatal(err)
		}
	}
	c, err := console.New(api.Handler(d.State, d, nil), top, console.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return d, c
}
