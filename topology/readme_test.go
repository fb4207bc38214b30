package topology

import (
	"fmt"
	"os"
	"regexp"
	"testing"
)

// TestREADMELimits keeps the rows of the README's limits table that this
// package sets true to its constants.
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
	for _, tt := range []struct{ limit, want string }{
		{"hosts per topology", thousands(MaxHosts)},
		{"open files (`RLIMIT_NOFILE`)", fmt.Sprintf("%d per host + %d", DescriptorsPerHost, DescriptorReserve)},
		{"topology file size", fmt.Sprintf("%d MiB", MaxFileSize>>20)},
		{"YAML nesting", fmt.Sprintf("%d levels", MaxNesting)},
		{"nodes repeated by aliases", thousands(MaxAliasNodes)},
		{"a value in the file", fmt.Sprintf("%d bytes kept", MaxValueLen)},
		{"errors printed", fmt.Sprintf(`%d, then "… and N more errors"`, MaxErrorsShown)},
		{"VPC and subnet CIDRs", fmt.Sprintf("/%d to /%d", MinPrefixLen, MaxPrefixLen)},
		{"VPC CIDR ranges", fmt.Sprintf("%s, %s, %s", privateRanges[0], privateRanges[1], privateRanges[2])},
	} {
		if got, ok := rows[tt.limit]; !ok || got != tt.want {
			t.Errorf("README limits row %q = %q, want %q", tt.limit, got, tt.want)
		}
	}
}
