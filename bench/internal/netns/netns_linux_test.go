package netns

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/vpcsim/vpcsim/tun"
	"github.com/vpcsim/vpcsim/tun/tuntest"
)

// threadNS returns the identity of the calling thread's network namespace.
func threadNS(t *testing.T) string {
	t.Helper()
	link, err := os.Readlink("/proc/thread-self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	return link
}

func TestNSAddDoDelete(t *testing.T) {
	tuntest.NeedRoot(t, "ip")
	ctx := context.Background()
	name := fmt.Sprintf("vb-%d-netns-test", os.Getpid())
	if err := Add(ctx, name); err != nil {
		t.Fatalf("Add(%q) error: %v", name, err)
	}
	t.Cleanup(func() { _ = Delete(ctx, name) })

	names, err := List(fmt.Sprintf("vb-%d-", os.Getpid()))
	if err != nil || !slices.Contains(names, name) {
		t.Errorf("List() = %v, %v, want it to contain %q", names, err, name)
	}
	if names, _ := List("no-such-prefix-"); len(names) != 0 {
		t.Errorf("List(%q) = %v, want none", "no-such-prefix-", names)
	}

	// The namespace Add made can be entered.
	var inside string
	if err := tun.Do(name, func() (err error) {
		inside, err = os.Readlink("/proc/thread-self/ns/net")
		return err
	}); err != nil {
		t.Fatalf("tun.Do(%q) error: %v", name, err)
	}
	if outside := threadNS(t); inside == outside {
		t.Errorf("tun.Do(%q) ran in %s, the caller's own namespace", name, inside)
	}

	if err := Delete(ctx, name); err != nil {
		t.Fatalf("Delete(%q) error: %v", name, err)
	}
	if _, err := os.Stat(Dir + "/" + name); !os.IsNotExist(err) {
		t.Errorf("Delete(%q) left %s/%s", name, Dir, name)
	}
	if err := Delete(ctx, name); err != nil {
		t.Errorf("Delete(%q) twice error: %v, want nil", name, err)
	}
}
