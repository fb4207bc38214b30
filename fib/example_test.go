package fib_test

import (
	"fmt"
	"net/netip"

	"github.com/vpcsim/vpcsim/fib"
)

func ExampleTable() {
	var t fib.Table[string]
	t.Insert(netip.MustParsePrefix("10.0.0.0/16"), "local")
	t.Insert(netip.MustParsePrefix("10.1.0.0/16"), "pcx-a")
	t.Insert(netip.MustParsePrefix("10.1.7.0/24"), "pcx-b")

	for _, a := range []string{"10.1.7.9", "10.1.8.9", "10.2.0.1"} {
		if v, p, ok := t.Lookup(netip.MustParseAddr(a)); ok {
			fmt.Println(a, "via", p, "to", v)
		} else {
			fmt.Println(a, "has no route")
		}
	}
	// Output:
	// 10.1.7.9 via 10.1.7.0/24 to pcx-b
	// 10.1.8.9 via 10.1.0.0/16 to pcx-a
	// 10.2.0.1 has no route
}

// A peering is deleted: its routes go and a default route takes their
// traffic. Applied as one batch, no packet is looked up in a table that
// has lost the peering's routes but not yet gained the default.
func ExampleTable_Apply() {
	var t fib.Table[string]
	t.Insert(netip.MustParsePrefix("10.0.0.0/16"), "local")
	t.Insert(netip.MustParsePrefix("10.1.0.0/16"), "pcx-a")
	t.Insert(netip.MustParsePrefix("10.1.7.0/24"), "pcx-a")

	var b fib.Batch[string]
	b.Delete(netip.MustParsePrefix("10.1.0.0/16"))
	b.Delete(netip.MustParsePrefix("10.1.7.0/24"))
	b.Insert(netip.MustParsePrefix("0.0.0.0/0"), "igw")
	t.Apply(&b)

	v, p, _ := t.Lookup(netip.MustParseAddr("10.1.7.9"))
	fmt.Println(v, p, t.Len())
	// Output: igw 0.0.0.0/0 2
}
