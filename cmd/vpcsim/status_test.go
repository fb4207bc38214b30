package main

import (
	"strings"
	"testing"

	"github.com/vpcsim/vpcsim/api"
)

// TestWriteStatusShowsDeviceGone checks that the hosts table says which
// hosts' devices the router has given up.
func TestWriteStatusShowsConsoleAndDevices(t *testing.T) {
	st := api.Status{Name: "t", State: api.StateRunning, Hosts: []api.HostStatus{
		{Name: "a1", VPC: "vpc1", Subnet: "s1", IP: "10.0.1.10", Namespace: "t-a1", DeviceGone: true},
		{Name: "b1", VPC: "vpc2", Subnet: "s2", IP: "10.1.1.10", Namespace: "t-b1"},
	}, DataPlane: api.DataPlaneStatus{InStep: true}, Console: "http://127.0.0.1:8080/"}
	var b strings.Builder
	writeStatus(&b, st)
	want := []string{
		"state in memory  console http://127.0.0.1:8080/",
		"HOST  VPC   SUBNET  IP         NAMESPACE  DEVICE",
		"a1    vpc1  s1      10.0.1.10  t-a1       gone",
		"b1    vpc2  s2      10.1.1.10  t-b1       up",
	}
	for _, line := range want {
		if !strings.Contains(b.String(), line+"\n") {
			t.Errorf("writeStatus lacks the line %q:\n%s", line, b.String())
		}
	}
}
