package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Result holds the figures of one subject at one MTU. A figure that could
// not be measured is 0 and the reason is in Errors.
type Result struct {
	Subject string `json:"subject"`
	MTU     int    `json:"mtu"`

	TCPGbps        float64 `json:"tcp_gbps"`        // single TCP stream, as received by the server
	TCPRetransmits int     `json:"tcp_retransmits"` // sender retransmissions in that test

	UDPPPS         float64 `json:"udp_pps"`          // small datagrams received per second by the server
	UDPSentPPS     float64 `json:"udp_sent_pps"`     // datagrams per second the client managed to send
	UDPLossPercent float64 `json:"udp_loss_percent"` // sent datagrams that never arrived

	RTTMedianMicros float64 `json:"rtt_median_us"` // ping round trip, median
	RTTP99Micros    float64 `json:"rtt_p99_us"`    // ping round trip, 99th percentile
	PingLossPercent float64 `json:"ping_loss_percent"`

	TCP4Gbps        float64 `json:"tcp4_gbps"`        // four TCP streams between the first pair, together
	TCP4Retransmits int     `json:"tcp4_retransmits"` // in that test, all streams

	PairsGbps        float64 `json:"pairs_gbps,omitempty"`        // a TCP stream in every pair at once, together
	PairsMinGbps     float64 `json:"pairs_min_gbps,omitempty"`    // the slowest of those streams
	PairsRetransmits int     `json:"pairs_retransmits,omitempty"` // in that test, all streams

	// The first pair, quiet, while every other pair carries a TCP stream:
	// its own TCP stream, then its ping round trip.
	QuietGbps            float64 `json:"quiet_gbps,omitempty"`
	QuietRetransmits     int     `json:"quiet_retransmits,omitempty"`
	QuietRTTMedianMicros float64 `json:"quiet_rtt_median_us,omitempty"`

	Errors []string `json:"errors,omitempty"` // measurements that failed, and why
}

// OK reports whether every measurement of r succeeded.
func (r *Result) OK() bool { return len(r.Errors) == 0 }

// Ratio puts a subject beside a baseline at one MTU: each figure is
// subject/baseline, so above 1 is better for throughput and worse for
// latency. A ratio is 0 when either side lacks the figure.
type Ratio struct {
	Subject   string  `json:"subject"`
	Baseline  string  `json:"baseline"`
	MTU       int     `json:"mtu"`
	TCP       float64 `json:"tcp"`
	UDPPPS    float64 `json:"udp_pps"`
	RTTMedian float64 `json:"rtt_median"`
	RTTP99    float64 `json:"rtt_p99"`
	TCP4      float64 `json:"tcp4"`
	Pairs     float64 `json:"pairs"`
}

// Report is the outcome of one Run.
type Report struct {
	Started   time.Time `json:"started"`
	DurationS float64   `json:"duration_s"` // iperf3 test length
	CPUs      int       `json:"cpus"`
	Pairs     int       `json:"pairs"` // client/server pairs per setup
	Results   []Result  `json:"results"`
	Ratios    []Ratio   `json:"ratios"`
	Targets   []Target  `json:"targets,omitempty"`
}

// ratio returns a/b, or 0 when either is not positive.
func ratio(a, b float64) float64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	return a / b
}

// computeRatios compares every subject with every baseline at each MTU
// both were measured at. A baseline is compared with the baselines listed
// before it only (bare-tun/kernel, not also kernel/bare-tun). Ratios come
// in the order of results, baselines in the order given.
func computeRatios(results []Result, baselines []string) []Ratio {
	type key struct {
		subject string
		mtu     int
	}
	byKey := make(map[key]*Result, len(results))
	for i := range results {
		byKey[key{results[i].Subject, results[i].MTU}] = &results[i]
	}
	var out []Ratio
	for _, r := range results {
		rank := slices.Index(baselines, r.Subject)
		for bi, name := range baselines {
			if name == r.Subject || (rank >= 0 && rank < bi) {
				continue
			}
			b, ok := byKey[key{name, r.MTU}]
			if !ok {
				continue
			}
			out = append(out, Ratio{
				Subject:   r.Subject,
				Baseline:  name,
				MTU:       r.MTU,
				TCP:       ratio(r.TCPGbps, b.TCPGbps),
				UDPPPS:    ratio(r.UDPPPS, b.UDPPPS),
				RTTMedian: ratio(r.RTTMedianMicros, b.RTTMedianMicros),
				RTTP99:    ratio(r.RTTP99Micros, b.RTTP99Micros),
				TCP4:      ratio(r.TCP4Gbps, b.TCP4Gbps),
				Pairs:     ratio(r.PairsGbps, b.PairsGbps),
			})
		}
	}
	return out
}

// WriteTable prints the results, the ratios and the targets as aligned
// text tables: the first pair's figures; with more than one pair, the
// figures of many streams; the ratios of each subject to each baseline;
// and which targets each subject met. A figure that was not measured
// prints as "-".
func (rep *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "subject\tmtu\ttcp Gbit/s\tretrans\tudp kpps\tudp sent kpps\tudp loss %\trtt p50 us\trtt p99 us\tping loss %\t")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Subject, r.MTU,
			num(r.TCPGbps, 2), r.TCPRetransmits,
			num(r.UDPPPS/1e3, 1), num(r.UDPSentPPS/1e3, 1), pct(r.UDPLossPercent, r.UDPPPS > 0),
			num(r.RTTMedianMicros, 0), num(r.RTTP99Micros, 0), pct(r.PingLossPercent, r.RTTMedianMicros > 0))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if err := rep.writeStreams(w); err != nil {
		return err
	}
	var failed []string
	for _, r := range rep.Results {
		for _, e := range r.Errors {
			failed = append(failed, fmt.Sprintf("%s mtu %d: %s", r.Subject, r.MTU, e))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "\nerrors:\n  %s\n", strings.Join(failed, "\n  "))
	}
	if len(rep.Ratios) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "subject / baseline\tmtu\ttcp\ttcp 4\tpairs\tudp pps\trtt p50\trtt p99\t")
		for _, r := range rep.Ratios {
			fmt.Fprintf(tw, "%s / %s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", r.Subject, r.Baseline, r.MTU,
				num(r.TCP, 2), num(r.TCP4, 2), num(r.Pairs, 2), num(r.UDPPPS, 2), num(r.RTTMedian, 2), num(r.RTTP99, 2))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return writeTargets(w, rep.Targets)
}

// writeStreams prints the figures of many streams: four between the first
// pair, one in every pair at once, and the quiet pair's.
func (rep *Report) writeStreams(w io.Writer) error {
	fmt.Fprintf(w, "\nmany streams: 4 between the first pair; 1 in each of %d pairs at once; the first pair while the others carry a stream each\n", rep.Pairs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "subject\tmtu\ttcp 4 Gbit/s\tretrans\tpairs Gbit/s\tslowest\tretrans\tquiet Gbit/s\tretrans\tquiet rtt p50 us\t")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%d\t%s\t%d\t%s\t\n",
			r.Subject, r.MTU,
			num(r.TCP4Gbps, 2), r.TCP4Retransmits,
			num(r.PairsGbps, 2), num(r.PairsMinGbps, 2), r.PairsRetransmits,
			num(r.QuietGbps, 2), r.QuietRetransmits, num(r.QuietRTTMedianMicros, 0))
	}
	return tw.Flush()
}

// WriteJSON writes rep as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// num formats a positive figure with prec decimals, or "-" when absent.
func num(v float64, prec int) string {
	if v <= 0 {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// pct formats a percentage that is meaningful (possibly 0) when measured.
func pct(v float64, measured bool) string {
	if !measured {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
