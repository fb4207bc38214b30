package bench

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// Defaults used for the zero fields of a Config.
var (
	DefaultMTUs      = []int{1500, 9000, 65000}
	DefaultBaselines = []string{"kernel", "bare-tun"}
)

const (
	DefaultDuration     = 5 * time.Second       // iperf3 test length
	DefaultPings        = 200                   // echo requests per RTT measurement
	DefaultPingInterval = 10 * time.Millisecond // between echo requests
	DefaultUDPLength    = 64                    // UDP payload bytes
	DefaultPairs        = 4                     // client/server pairs per setup
)

// ErrConfig is returned (wrapped) by Run for a Config it cannot run.
var ErrConfig = errors.New("bench: bad config")

// Config says what Run measures. The zero value of every field but Subjects
// picks the default.
type Config struct {
	Subjects []Subject // measured in this order at each MTU; names must be unique
	MTUs     []int     // default DefaultMTUs; each 576..65535

	// Pairs is how many client/server pairs each setup has, 1..16
	// (default DefaultPairs). With one, only the first pair's figures are
	// measured: no stream in every pair at once, no quiet pair.
	Pairs int

	// Baselines names the subjects that others are divided by in the
	// report's ratios (default DefaultBaselines). Names of subjects not in
	// the run are ignored.
	Baselines []string

	Duration     time.Duration // iperf3 test length, whole seconds (rounded up), default 5s
	Pings        int           // echo requests for RTT, default 200
	PingInterval time.Duration // default 10ms (below 200ms needs root)
	UDPLength    int           // UDP datagram payload, default 64 bytes

	// Progress receives one line per step (which subject, MTU and
	// measurement is running). Nil discards them.
	Progress io.Writer
}

// withDefaults returns c with its zero fields set to the defaults, or an
// error wrapping ErrConfig.
func (c Config) withDefaults() (Config, error) {
	if len(c.MTUs) == 0 {
		c.MTUs = DefaultMTUs
	}
	if c.Baselines == nil {
		c.Baselines = DefaultBaselines
	}
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Pings == 0 {
		c.Pings = DefaultPings
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.UDPLength == 0 {
		c.UDPLength = DefaultUDPLength
	}
	if c.Pairs == 0 {
		c.Pairs = DefaultPairs
	}
	if len(c.Subjects) == 0 {
		return c, fmt.Errorf("%w: no subjects", ErrConfig)
	}
	seen := make(map[string]bool)
	for _, s := range c.Subjects {
		if s == nil || s.Name() == "" {
			return c, fmt.Errorf("%w: subject without a name", ErrConfig)
		}
		if seen[s.Name()] {
			return c, fmt.Errorf("%w: subject %q listed twice", ErrConfig, s.Name())
		}
		seen[s.Name()] = true
	}
	for _, m := range c.MTUs {
		if err := checkMTU(m); err != nil {
			return c, err
		}
	}
	switch {
	case c.Duration < 0:
		return c, fmt.Errorf("%w: duration %v is negative", ErrConfig, c.Duration)
	case c.Pings < 1:
		return c, fmt.Errorf("%w: pings %d, want at least 1", ErrConfig, c.Pings)
	case c.PingInterval < time.Millisecond:
		return c, fmt.Errorf("%w: ping interval %v, want at least 1ms", ErrConfig, c.PingInterval)
	case c.UDPLength < 16 || c.UDPLength > 65507:
		return c, fmt.Errorf("%w: udp length %d, want 16..65507", ErrConfig, c.UDPLength)
	case c.Pairs < 1 || c.Pairs > maxPairs:
		return c, fmt.Errorf("%w: %d pairs, want 1..%d", ErrConfig, c.Pairs, maxPairs)
	}
	return c, nil
}

// maxPairs bounds Config.Pairs: each pair runs an iperf3 client and server.
const maxPairs = 16

// checkMTU returns an error wrapping ErrConfig unless mtu is 576..65535, the
// range vpcsim topologies allow.
func checkMTU(mtu int) error {
	if mtu < 576 || mtu > 65535 {
		return fmt.Errorf("%w: mtu %d, want 576..65535", ErrConfig, mtu)
	}
	return nil
}

// seconds returns d in whole seconds, rounded up, at least 1.
func seconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}
