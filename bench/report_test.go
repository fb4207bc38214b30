package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// sampleResults are two MTUs of kernel, bare-tun and vpcsim, with one
// failed vpcsim measurement, and at MTU 1500 a single-lane vpcsim.
func sampleResults() []Result {
	return []Result{
		{Subject: "kernel", MTU: 1500, TCPGbps: 13.4, TCPRetransmits: 12, UDPPPS: 400e3, UDPSentPPS: 410e3, UDPLossPercent: 2.4, RTTMedianMicros: 40, RTTP99Micros: 80, PingLossPercent: 0,
			TCP4Gbps: 30, TCP4Retransmits: 3, PairsGbps: 32, PairsMinGbps: 7.5, PairsRetransmits: 20, QuietGbps: 7, QuietRTTMedianMicros: 45},
		{Subject: "bare-tun", MTU: 1500, TCPGbps: 2.7, TCPRetransmits: 300, UDPPPS: 200e3, UDPSentPPS: 400e3, UDPLossPercent: 50, RTTMedianMicros: 100, RTTP99Micros: 200},
		{Subject: "vpcsim", MTU: 1500, TCPGbps: 2.43, UDPPPS: 180e3, UDPSentPPS: 390e3, UDPLossPercent: 53.8, RTTMedianMicros: 120, RTTP99Micros: 300, PingLossPercent: 1,
			TCP4Gbps: 21, TCP4Retransmits: 16, PairsGbps: 4.2, PairsMinGbps: 0.9, PairsRetransmits: 20, QuietGbps: 0.96, QuietRetransmits: 1, QuietRTTMedianMicros: 250},
		{Subject: "vpcsim-1lane", MTU: 1500, TCPGbps: 2.5, RTTMedianMicros: 110, RTTP99Micros: 250, TCP4Gbps: 3},
		{Subject: "kernel", MTU: 9000, TCPGbps: 40, UDPPPS: 400e3, UDPSentPPS: 410e3, UDPLossPercent: 2.4, RTTMedianMicros: 40, RTTP99Micros: 80},
		{Subject: "bare-tun", MTU: 9000, TCPGbps: 7, UDPPPS: 200e3, UDPSentPPS: 400e3, UDPLossPercent: 50, RTTMedianMicros: 100, RTTP99Micros: 200},
		{Subject: "vpcsim", MTU: 9000, TCPGbps: 6.3, RTTMedianMicros: 110, RTTP99Micros: 220,
			Errors: []string{"udp: iperf3 client: unable to connect to server: Connection refused"}},
	}
}

func TestComputeRatios(t *testing.T) {
	results := sampleResults()
	tests := []struct {
		name      string
		results   []Result
		baselines []string
		want      []Ratio
	}{
		{
			name:      "kernel and bare-tun baselines",
			results:   results[:3],
			baselines: []string{"kernel", "bare-tun"},
			want: []Ratio{
				{Subject: "bare-tun", Baseline: "kernel", MTU: 1500, TCP: 2.7 / 13.4, UDPPPS: 0.5, RTTMedian: 2.5, RTTP99: 2.5},
				{Subject: "vpcsim", Baseline: "kernel", MTU: 1500, TCP: 2.43 / 13.4, UDPPPS: 0.45, RTTMedian: 3, RTTP99: 3.75, TCP4: 0.7, Pairs: 4.2 / 32},
				{Subject: "vpcsim", Baseline: "bare-tun", MTU: 1500, TCP: 0.9, UDPPPS: 0.9, RTTMedian: 1.2, RTTP99: 1.5},
			},
		},
		{
			name:      "baseline order decides direction",
			results:   results[:2],
			baselines: []string{"bare-tun", "kernel"},
			want: []Ratio{
				{Subject: "kernel", Baseline: "bare-tun", MTU: 1500, TCP: 13.4 / 2.7, UDPPPS: 2, RTTMedian: 0.4, RTTP99: 0.4},
			},
		},
		{
			name:      "missing figure gives 0, MTUs kept apart",
			results:   results[4:],
			baselines: []string{"bare-tun"},
			want: []Ratio{
				{Subject: "kernel", Baseline: "bare-tun", MTU: 9000, TCP: 40.0 / 7, UDPPPS: 2, RTTMedian: 0.4, RTTP99: 0.4},
				{Subject: "vpcsim", Baseline: "bare-tun", MTU: 9000, TCP: 0.9, UDPPPS: 0, RTTMedian: 1.1, RTTP99: 1.1},
			},
		},
		{
			name:      "absent baseline",
			results:   results[:1],
			baselines: []string{"bare-tun"},
			want:      nil,
		},
		{
			name:      "no baselines",
			results:   results,
			baselines: nil,
			want:      nil,
		},
	}
	approx := cmp.Comparer(func(a, b float64) bool { return near(a, b) })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := computeRatios(tt.results, tt.baselines)
			if diff := cmp.Diff(tt.want, got, approx); diff != "" {
				t.Errorf("computeRatios(%v) (-want +got):\n%s", tt.baselines, diff)
			}
		})
	}
}

func sampleReport() *Report {
	rs := sampleResults()
	return &Report{
		Started:   time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC),
		DurationS: 5,
		CPUs:      2,
		Pairs:     4,
		Results:   rs,
		Ratios:    computeRatios(rs, DefaultBaselines),
		Targets:   checkTargets(rs),
	}
}

func TestCheckTargets(t *testing.T) {
	got := checkTargets(sampleResults())
	type key struct {
		subject string
		mtu     int
		name    string
	}
	byKey := make(map[key]Target)
	for _, tg := range got {
		byKey[key{tg.Subject, tg.MTU, tg.Name}] = tg
	}
	tests := []struct {
		key
		value, bound float64
		met          bool
	}{
		{key{"vpcsim", 1500, "1 stream / kernel's"}, 2.43 / 13.4, 0.7, false},
		{key{"vpcsim", 1500, "4 streams / kernel's"}, 0.7, 0.7, true}, // the bound itself meets it
		{key{"vpcsim", 1500, "pairs at once / kernel's"}, 4.2 / 32, 0.7, false},
		{key{"vpcsim", 1500, "pairs at once / own 1 stream"}, 4.2 / 2.43, 1.7, true},
		{key{"vpcsim", 1500, "quiet stream / own 1 stream"}, 0.96 / 2.43, 0.4, false},
		{key{"vpcsim", 1500, "quiet ping p50 / own idle"}, 250.0 / 120, 2, false},
		{key{"vpcsim", 1500, "retransmits, 1 and 4 streams, vs kernel's"}, 16, 15, false},
		{key{"vpcsim", 1500, "retransmits, pairs at once, vs kernel's"}, 20, 20, true},
		{key{"vpcsim", 1500, "ping p50 / 1 lane's"}, 120.0 / 110, 1, false},
		{key{"vpcsim-1lane", 1500, "4 streams / kernel's"}, 0.1, 0.7, false},
		{key{"vpcsim", 9000, "1 stream / kernel's"}, 6.3 / 40, 0.7, false},
	}
	for _, tt := range tests {
		tg, ok := byKey[tt.key]
		if !ok {
			t.Errorf("no target %q for %s at %d", tt.name, tt.subject, tt.mtu)
			continue
		}
		if !near(tg.Value, tt.value) || tg.Bound != tt.bound || tg.Met != tt.met {
			t.Errorf("%s at %d, %q: value %v bound %v met %v; want %v, %v, %v", tt.subject, tt.mtu, tt.name, tg.Value, tg.Bound, tg.Met, tt.value, tt.bound, tt.met)
		}
	}
	// Figures not measured give no target: the single-lane subject has no
	// pairs or quiet pair figures, and no single-lane subject of its own;
	// vpcsim at 9000 lacks its many-stream figures.
	lane1 := []string{"1 stream / kernel's", "4 streams / kernel's", "retransmits, 1 and 4 streams, vs kernel's"}
	for k := range byKey {
		switch {
		case k.subject == "vpcsim-1lane" && !slices.Contains(lane1, k.name):
			t.Errorf("target %q for vpcsim-1lane, whose figures are missing", k.name)
		case k.subject == "vpcsim" && k.mtu == 9000 && k.name != "1 stream / kernel's":
			t.Errorf("target %q for vpcsim at 9000, whose figures are missing", k.name)
		case !strings.HasPrefix(k.subject, "vpcsim"):
			t.Errorf("target %q for %s, which is not vpcsim", k.name, k.subject)
		}
	}
}

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

func TestWriteTable(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteTable(&buf); err != nil {
		t.Fatalf("WriteTable: %v", err)
	}
	golden(t, "report.golden.txt", buf.Bytes())

	t.Run("columns align", func(t *testing.T) {
		lines := strings.Split(buf.String(), "\n")
		width := len([]rune(lines[0]))
		for _, l := range lines[1:8] {
			if w := len([]rune(l)); w != width {
				t.Errorf("row %q is %d runes wide, header %d", l, w, width)
			}
		}
	})
	t.Run("no ratios", func(t *testing.T) {
		rep := sampleReport()
		rep.Ratios = nil
		var b bytes.Buffer
		if err := rep.WriteTable(&b); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "baseline") {
			t.Errorf("WriteTable without ratios printed a ratio table:\n%s", b.String())
		}
	})
}

func TestReportJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteJSON(&buf); err != nil {
		t.Fatalf("WriteJSON: %v", err)
	}
	golden(t, "report.golden.json", buf.Bytes())

	var back Report
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("unmarshal WriteJSON output: %v", err)
	}
	if diff := cmp.Diff(sampleReport(), &back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

func TestConfigDefaults(t *testing.T) {
	got, err := Config{Subjects: []Subject{Kernel{}}}.withDefaults()
	if err != nil {
		t.Fatalf("withDefaults() error: %v", err)
	}
	if !cmp.Equal(got.MTUs, []int{1500, 9000, 65000}) || got.Duration != 5*time.Second ||
		got.Pings != 200 || got.PingInterval != 10*time.Millisecond || got.UDPLength != 64 ||
		!cmp.Equal(got.Baselines, []string{"kernel", "bare-tun"}) {
		t.Errorf("withDefaults() = %+v, want the documented defaults", got)
	}
	if got, _ := (Config{Subjects: []Subject{Kernel{}}, Baselines: []string{}}).withDefaults(); len(got.Baselines) != 0 {
		t.Errorf("withDefaults() with empty Baselines = %v, want them kept empty", got.Baselines)
	}
}

// namedSubject is a Subject that only has a name.
type namedSubject string

func (n namedSubject) Name() string { return string(n) }
func (n namedSubject) Setup(context.Context, int, int) (*Setup, error) {
	return nil, errors.New("not set up")
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string // in the error message
	}{
		{"no subjects", Config{}, "no subjects"},
		{"nil subject", Config{Subjects: []Subject{nil}}, "without a name"},
		{"unnamed", Config{Subjects: []Subject{namedSubject("")}}, "without a name"},
		{"twice", Config{Subjects: []Subject{Kernel{}, namedSubject("kernel")}}, `"kernel" listed twice`},
		{"mtu low", Config{Subjects: []Subject{Kernel{}}, MTUs: []int{1500, 100}}, "mtu 100, want 576..65535"},
		{"mtu high", Config{Subjects: []Subject{Kernel{}}, MTUs: []int{65536}}, "mtu 65536"},
		{"negative duration", Config{Subjects: []Subject{Kernel{}}, Duration: -time.Second}, "duration -1s"},
		{"pings", Config{Subjects: []Subject{Kernel{}}, Pings: -1}, "pings -1"},
		{"interval", Config{Subjects: []Subject{Kernel{}}, PingInterval: time.Microsecond}, "ping interval 1µs"},
		{"udp length", Config{Subjects: []Subject{Kernel{}}, UDPLength: 70000}, "udp length 70000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cfg.withDefaults()
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("withDefaults() error = %v, want ErrConfig with %q", err, tt.want)
			}
		})
	}
}

func TestSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int
	}{
		{0, 1}, {time.Millisecond, 1}, {time.Second, 1}, {1500 * time.Millisecond, 2}, {5 * time.Second, 5},
	}
	for _, tt := range tests {
		if got := seconds(tt.d); got != tt.want {
			t.Errorf("seconds(%v) = %d, want %d", tt.d, got, tt.want)
		}
	}
}
