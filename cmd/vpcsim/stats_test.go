package main

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vpcsim/vpcsim/router"
)

func TestWriteStats(t *testing.T) {
	st := router.Stats{
		VPCs: []router.VPCStats{
			{VPC: "vpc1", Received: router.Count{Packets: 10, Bytes: 840}, Drops: router.Drops{router.DropNotTransitive: 3, router.DropNoRoute: 1}},
			{VPC: "vpc2", Received: router.Count{Packets: 5, Bytes: 420}, Drops: router.Drops{}},
		},
		Links: []router.LinkStats{
			{Peering: "pcx-1", From: "vpc1", To: "vpc2", Count: router.Count{Packets: 7, Bytes: 588}, Drops: router.Drops{}},
			{Peering: "pcx-1", From: "vpc2", To: "vpc1", Count: router.Count{Packets: 4, Bytes: 336}, Drops: router.Drops{router.DropNotTransitive: 3}},
		},
		Hosts: []router.HostStats{
			{Host: "a1", VPC: "vpc1", TX: router.Count{Packets: 10, Bytes: 840}, RX: router.Count{Packets: 4, Bytes: 336}},
			{Host: "a2", VPC: "vpc1", TX: router.Count{Packets: 2, Bytes: 168}, ReadErrors: 9, DeviceGone: true},
		},
	}
	want := `VPC   PACKETS  BYTES  DROPS  NO_ROUTE  NOT_TRANSITIVE
vpc1  10       840    4      1         3
vpc2  5        420    0      0         0

PEERING  DIRECTION   PACKETS  BYTES  DROPS
pcx-1    vpc1->vpc2  7        588    0
pcx-1    vpc2->vpc1  4        336    3 (not_transitive 3)

HOST  VPC   TX PACKETS  TX BYTES  RX PACKETS  RX BYTES  READ ERRORS  DEVICE
a1    vpc1  10          840       4           336       0            up
a2    vpc1  2           168       0           0         9            gone
`
	var b strings.Builder
	writeStats(&b, st, nil, 0)
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("writeStats (-want +got):\n%s", diff)
	}

	// Two seconds later: rates are the differences over the interval.
	later := st
	later.VPCs = []router.VPCStats{
		{VPC: "vpc1", Received: router.Count{Packets: 2010, Bytes: 250840}, Drops: router.Drops{router.DropNotTransitive: 3, router.DropNoRoute: 1}},
		{VPC: "vpc2", Received: router.Count{Packets: 5, Bytes: 420}, Drops: router.Drops{}},
	}
	b.Reset()
	writeStats(&b, later, &st, 2*time.Second)
	wantVPCs := `VPC   PACKETS  BYTES   PKT/S  BIT/S        DROPS  NO_ROUTE  NOT_TRANSITIVE
vpc1  2010     250840  1000   1.00 Mbit/s  4      1         3
vpc2  5        420     0      0 bit/s      0      0         0
`
	if got, _, _ := strings.Cut(b.String(), "\n\n"); got+"\n" != wantVPCs {
		t.Errorf("rates (-want +got):\n%s", cmp.Diff(wantVPCs, got+"\n"))
	}
}
