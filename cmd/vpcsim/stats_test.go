package main

import (
	"strings"
	"testing"

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
			{Host: "a1", VPC: "vpc1", RX: router.Count{Packets: 10, Bytes: 840}, TX: router.Count{Packets: 4, Bytes: 336}},
			{Host: "a2", VPC: "vpc1", RX: router.Count{Packets: 2, Bytes: 168}, ReadErrors: 9, DeviceGone: true},
		},
	}
	want := `VPC   PACKETS  BYTES  DROPS  NO_ROUTE  NOT_TRANSITIVE
vpc1  10       840    4      1         3
vpc2  5        420    0      0         0

PEERING  DIRECTION   PACKETS  BYTES  DROPS
pcx-1    vpc1->vpc2  7        588    0
pcx-1    vpc2->vpc1  4        336    3 (not_transitive 3)

HOST  VPC   RX PACKETS  RX BYTES  TX PACKETS  TX BYTES  READ ERRORS  DEVICE
a1    vpc1  10          840       4           336       0            up
a2    vpc1  2           168       0           0         9            gone
`
	var b strings.Builder
	writeStats(&b, st)
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("writeStats (-want +got):\n%s", diff)
	}
}
