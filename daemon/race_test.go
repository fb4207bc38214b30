//go:build race

package daemon

// raceEnabled reports whether the tests run under the race detector,
// which makes each commit several times slower.
const raceEnabled = true
