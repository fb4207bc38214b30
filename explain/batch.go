package explain

import (
	"fmt"
	"slices"
)

// ExplainAll analyses every request of reqs against one reading of the
// live configuration st, so that the answers belong together (a matrix
// of reachability, the expectations of a file), and returns them in
// order. It costs one reading of st however many requests there are. An
// error wraps ErrInvalidRequest and names the request by its index.
func ExplainAll(st State, reqs []Request) ([]*Result, error) {
	reqs = slices.Clone(reqs)
	for i := range reqs {
		if err := normalize(&reqs[i]); err != nil {
			return nil, fmt.Errorf("request %d: %w", i, err)
		}
	}
	v := read(st)
	out := make([]*Result, len(reqs))
	for i, req := range reqs {
		res, err := v.explain(req)
		if err != nil {
			return nil, fmt.Errorf("request %d: %w", i, err)
		}
		out[i] = res
	}
	return out, nil
}
