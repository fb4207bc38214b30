package api

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/vpcsim/vpcsim/control"
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
