package daemon

import (
	"net/http"
	"os"
	"time"

	"github.com/vpcsim/vpcsim/api"
	"github.com/vpcsim/vpcsim/control"
)

// Status describes a running topology.
type Status struct {
	Name     string            `json:"name"`
	PID      int               `json:"pid"`
	File     string            `json:"file"`
	Started  time.Time         `json:"started"`
	Region   string            `json:"region"`
	MTU      int               `json:"mtu"`
	VPCs     []VPCStatus       `json:"vpcs"`
	Hosts    []HostStatus      `json:"hosts"`
	Peerings []control.Peering `json:"peerings"`
}

// VPCStatus describes a VPC of a running topology.
type VPCStatus struct {
	ID      string         `json:"id"`
	Name    string         `json:"name,omitempty"`
	Account string         `json:"account"`
	Region  string         `json:"region"`
	CIDR    string         `json:"cidr"`
	Subnets []SubnetStatus `json:"subnets"`
}

// SubnetStatus describes a subnet.
type SubnetStatus struct {
	ID         string `json:"id"`
	CIDR       string `json:"cidr"`
	Gateway    string `json:"gateway"`
	RouteTable string `json:"route_table"`
}

// HostStatus describes a host.
type HostStatus struct {
	Name      string `json:"name"`
	VPC       string `json:"vpc"`
	Subnet    string `json:"subnet"`
	IP        string `json:"ip"`
	Namespace string `json:"namespace"`
}

// Status returns the topology's status as seen by the account acct
// ("" is the default account): peerings are those it can see.
func (d *Daemon) Status(acct string) (Status, error) {
	t := d.Topology
	peerings, err := d.State.Peerings(acct, true)
	if err != nil {
		return Status{}, err
	}
	s := Status{Name: t.Name, PID: os.Getpid(), File: t.File, Started: d.started, Region: t.Region, MTU: t.MTU, Peerings: peerings}
	for _, v := range t.VPCs {
		vs := VPCStatus{ID: v.ID, Name: v.Name, Account: v.Account, Region: v.Region, CIDR: v.CIDR.String()}
		for _, sn := range v.Subnets {
			vs.Subnets = append(vs.Subnets, SubnetStatus{ID: sn.ID, CIDR: sn.CIDR.String(), Gateway: sn.Gateway().String(), RouteTable: sn.RouteTable})
		}
		s.VPCs = append(s.VPCs, vs)
		for _, h := range v.Hosts {
			s.Hosts = append(s.Hosts, HostStatus{Name: h.Name, VPC: v.ID, Subnet: h.Subnet, IP: h.IP.String(), Namespace: t.Namespace(h.Name)})
		}
	}
	return s, nil
}

// register adds the daemon's own endpoints to the control API.
func (d *Daemon) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		s, err := d.Status(r.Header.Get(api.AccountHeader))
		if err != nil {
			api.WriteError(w, err)
			return
		}
		api.WriteJSON(w, http.StatusOK, s)
	})
	mux.HandleFunc("GET /v1/stats", func(w http.ResponseWriter, r *http.Request) {
		api.WriteJSON(w, http.StatusOK, d.Network.Stats())
	})
	mux.HandleFunc("POST /v1/shutdown", func(w http.ResponseWriter, r *http.Request) {
		api.WriteJSON(w, http.StatusOK, struct{}{})
		d.shutdown.Do(func() { close(d.done) })
	})
	d.registerExplain(mux)
	d.registerObserve(mux)
}
