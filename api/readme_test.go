package api

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/vpcsim/vpcsim/control"
	"github.com/vpcsim/vpcsim/topology"
)

// TestREADMEListsEveryCode keeps the README's table of error codes true:
// every code, with its HTTP status.
func TestREADMEListsEveryCode(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `([A-Za-z]+)` \\| (\\d{3}) \\|").FindAllStringSubmatch(string(b), -1)
	listed := make(map[control.Code]int)
	for _, r := range rows {
		listed[control.Code(r[1])], _ = strconv.Atoi(r[2])
	}
	for _, c := range control.Codes() {
		status, ok := listed[c]
		switch {
		case !ok:
			t.Errorf("README lists no code %s", c)
		case status != HTTPStatus(c):
			t.Errorf("README gives %s HTTP %d, the API answers %d", c, status, HTTPStatus(c))
		}
		delete(listed, c)
	}
	for c := range listed {
		t.Errorf("README lists code %s, which the product does not have", c)
	}
}

// TestREADMELimits keeps the README's limits table true to the constants
// that set the limits, in the topology file, the control plane and the API.
func TestREADMELimits(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := make(map[string]string)
	for _, r := range regexp.MustCompile(`(?m)^\| ([^|]+?) \| ([^|]+?) \|`).FindAllStringSubmatch(string(b), -1) {
		rows[r[1]] = r[2]
	}
	thousands := func(n int) string { return fmt.Sprintf("%d,%03d", n/1000, n%1000) }
	private := topology.PrivateRanges()
	for _, tt := range []struct{ limit, want string }{
		{"host pairs of a file's `expect:` rules", thousands(topology.MaxExpectPairs)},
		{"hosts per topology", thousands(topology.MaxHosts)},
		{"open files (`RLIMIT_NOFILE`)", fmt.Sprintf("%d per host + %d", topology.DescriptorsPerHost, topology.DescriptorReserve)},
		{"topology file size", fmt.Sprintf("%d MiB", topology.MaxFileSize>>20)},
		{"YAML nesting", fmt.Sprintf("%d levels", topology.MaxNesting)},
		{"nodes repeated by aliases", thousands(topology.MaxAliasNodes)},
		{"a value in the file", fmt.Sprintf("%d bytes kept", topology.MaxValueLen)},
		{"errors printed", fmt.Sprintf(`%d, then "… and N more errors"`, topology.MaxErrorsShown)},
		{"VPC and subnet CIDRs", fmt.Sprintf("/%d to /%d", topology.MinPrefixLen, topology.MaxPrefixLen)},
		{"VPC CIDR ranges", fmt.Sprintf("%s, %s, %s", private[0], private[1], private[2])},
		{"user routes per route table", strconv.Itoa(control.MaxRoutesPerTable)},
		{"rejected, expired and deleted peerings shown", fmt.Sprintf("%s, for %d hours", thousands(control.DefaultKeepHistory), int(control.DefaultKeepHistoryFor.Hours()))},
		{"events in the journal", thousands(control.MaxEvents)},
		{"API connections at once", strconv.Itoa(MaxConnections)},
		{"API timeouts", fmt.Sprintf("%d s for headers, %d s for a request, %d s for an answer, %d s idle",
			int(ReadHeaderTimeout.Seconds()), int(ReadTimeout.Seconds()), int(WriteTimeout.Seconds()), int(IdleTimeout.Seconds()))},
		{"a client's wait for an answer", fmt.Sprintf("%d s (5 s in `status` and `down`)", int(DefaultTimeout.Seconds()))},
	} {
		if got, ok := rows[tt.limit]; !ok || got != tt.want {
			t.Errorf("README limits row %q = %q, want %q", tt.limit, got, tt.want)
		}
	}
}
