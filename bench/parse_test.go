package bench

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readFixture returns testdata/name.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// near reports whether got is within 1e-6 (relative) of want.
func near(got, want float64) bool {
	return math.Abs(got-want) <= 1e-6*math.Max(1, math.Abs(want))
}

func TestParseTCP(t *testing.T) {
	client := readFixture(t, "iperf3-tcp-client.json")
	server := readFixture(t, "iperf3-tcp-server.json")
	got, err := parseTCP(client, server)
	if err != nil {
		t.Fatalf("parseTCP(fixtures) error: %v", err)
	}
	want := TCPStats{BitsPerSecond: 26738327393.71061, Retransmits: 223}
	if !near(got.BitsPerSecond, want.BitsPerSecond) || got.Retransmits != want.Retransmits {
		t.Errorf("parseTCP(fixtures) = %+v, want %+v", got, want)
	}
}

func TestParseUDP(t *testing.T) {
	client := readFixture(t, "iperf3-udp-client.json")
	server := readFixture(t, "iperf3-udp-server.json")
	got, err := parseUDP(client, server)
	if err != nil {
		t.Fatalf("parseUDP(fixtures) error: %v", err)
	}
	// sum_received: 227680 datagrams, 5753 lost, over 1.000073 s.
	want := udpStats{
		PPS:         float64(227680-5753) / 1.000073,
		SentPPS:     227680 / 1.000027,
		LossPercent: 2.526791988756149,
	}
	if !near(got.PPS, want.PPS) || !near(got.SentPPS, want.SentPPS) || !near(got.LossPercent, want.LossPercent) {
		t.Errorf("parseUDP(fixtures) = %+v, want %+v", got, want)
	}
}

func TestParseIperfErrors(t *testing.T) {
	tcpClient := readFixture(t, "iperf3-tcp-client.json")
	tcpServer := readFixture(t, "iperf3-tcp-server.json")
	refused := readFixture(t, "iperf3-refused.json")
	noData := []byte(`{"end":{"sum_sent":{"bytes":0},"sum_received":{"seconds":1,"bytes":0,"bits_per_second":0}}}`)
	tests := []struct {
		name           string
		client, server []byte
		wantIs         error
		wantIperf      string // IperfError.Msg, when one is wanted
	}{
		{name: "client refused", client: refused, server: tcpServer, wantIperf: "unable to connect to server: Connection refused"},
		{name: "server error", client: tcpClient, server: []byte(`{"error":"the server has terminated"}`), wantIperf: "the server has terminated"},
		{name: "not json", client: []byte("iperf3: error - unable to connect"), server: tcpServer, wantIs: ErrBadOutput},
		{name: "empty", client: nil, server: tcpServer, wantIs: ErrBadOutput},
		{name: "server got nothing", client: tcpClient, server: noData, wantIs: ErrNoData},
		{name: "client saw nothing", client: noData, server: tcpServer, wantIs: ErrNoData},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseTCP(tt.client, tt.server)
			if err == nil {
				t.Fatal("parseTCP() error = nil, want one")
			}
			if tt.wantIperf != "" {
				var ie *IperfError
				if !errors.As(err, &ie) || ie.Msg != tt.wantIperf {
					t.Fatalf("parseTCP() error = %v, want IperfError %q", err, tt.wantIperf)
				}
				return
			}
			if !errors.Is(err, tt.wantIs) {
				t.Fatalf("parseTCP() error = %v, want %v", err, tt.wantIs)
			}
		})
	}
	t.Run("udp all lost", func(t *testing.T) {
		client := []byte(`{"end":{"sum_sent":{"seconds":1,"packets":100},"sum_received":{"seconds":1,"packets":100,"lost_packets":100,"lost_percent":100}}}`)
		if _, err := parseUDP(client, readFixture(t, "iperf3-udp-server.json")); !errors.Is(err, ErrNoData) {
			t.Fatalf("parseUDP(all lost) error = %v, want %v", err, ErrNoData)
		}
	})
}

func TestParsePing(t *testing.T) {
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	tests := []struct {
		name     string
		fixture  string
		wantTx   int
		wantRx   int
		wantRTTs []time.Duration
		wantLoss float64
	}{
		{
			name:    "all replies",
			fixture: "ping-ok.txt",
			wantTx:  20, wantRx: 20,
			wantRTTs: []time.Duration{
				ms(0.065), ms(0.052), ms(0.066), ms(0.067), ms(0.062), ms(0.078), ms(0.050), ms(0.049), ms(0.047), ms(0.048),
				ms(0.046), ms(0.054), ms(0.058), ms(0.054), ms(0.047), ms(0.045), ms(0.049), ms(0.049), ms(0.046), ms(0.053),
			},
		},
		{
			name:    "loss and a duplicate",
			fixture: "ping-loss.txt",
			wantTx:  10, wantRx: 7,
			wantRTTs: []time.Duration{ms(0.210), ms(0.090), ms(1.5), ms(0.120), ms(12.3), ms(0.100), ms(0.080)},
			wantLoss: 30,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePing(readFixture(t, tt.fixture))
			if err != nil {
				t.Fatalf("parsePing(%s) error: %v", tt.fixture, err)
			}
			if got.Transmitted != tt.wantTx || got.Received != tt.wantRx {
				t.Errorf("parsePing(%s) = %d transmitted, %d received, want %d, %d", tt.fixture, got.Transmitted, got.Received, tt.wantTx, tt.wantRx)
			}
			if diff := cmp.Diff(tt.wantRTTs, got.RTTs); diff != "" {
				t.Errorf("parsePing(%s) RTTs (-want +got):\n%s", tt.fixture, diff)
			}
			if l := got.LossPercent(); !near(l, tt.wantLoss) {
				t.Errorf("parsePing(%s).LossPercent() = %v, want %v", tt.fixture, l, tt.wantLoss)
			}
		})
	}
}

func TestParsePingErrors(t *testing.T) {
	tests := []struct {
		name string
		out  []byte
		want error
	}{
		{"no replies", readFixture(t, "ping-none.txt"), ErrNoData},
		{"empty", nil, ErrBadOutput},
		{"unknown host", []byte("ping: 10.0.0.300: Name or service not known\n"), ErrBadOutput},
		{"truncated", []byte("PING 10.201.2.2 (10.201.2.2) 56(84) bytes of data.\n64 bytes from 10.201.2.2: icmp_seq=1 ttl=63 time=0.2 ms\n"), ErrBadOutput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parsePing(tt.out); !errors.Is(err, tt.want) {
				t.Errorf("parsePing(%q) error = %v, want %v", tt.out, err, tt.want)
			}
		})
	}
}

func TestListening(t *testing.T) {
	// Shaped like /proc/net/tcp6: a listener on 5201 (0x1451), an
	// established connection from 5201, a listener on 22.
	const tcp6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000201CA0A:1451 0000000000000000FFFF00000101CA0A:DEC0 01 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000000000000000 20 4 30 10 -1
`
	const tcp = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1451 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0
`
	tests := []struct {
		name  string
		table string
		port  int
		want  bool
	}{
		{"tcp listener", tcp, 5201, true},
		{"tcp other port", tcp, 5202, false},
		{"tcp6 established only", tcp6, 5201, false},
		{"tcp6 ssh listener", tcp6, 22, true},
		{"empty", "", 5201, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := listening([]byte(tt.table), tt.port); got != tt.want {
				t.Errorf("listening(%s, %d) = %v, want %v", tt.name, tt.port, got, tt.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	us := func(vs ...int) []time.Duration {
		ds := make([]time.Duration, len(vs))
		for i, v := range vs {
			ds[i] = time.Duration(v) * time.Microsecond
		}
		return ds
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	tests := []struct {
		name string
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", us(7), 50, 7 * time.Microsecond},
		{"one p99", us(7), 99, 7 * time.Microsecond},
		{"median odd", us(5, 1, 3), 50, 3 * time.Microsecond},
		{"median even is the lower middle", us(4, 1, 3, 2), 50, 2 * time.Microsecond},
		{"p99 of 100", us(hundred...), 99, 99 * time.Microsecond},
		{"p100 is the max", us(hundred...), 100, 100 * time.Microsecond},
		{"p1 of 100", us(hundred...), 1, 1 * time.Microsecond},
		{"p99 of 200 ignores one outlier in two hundred", append(us(hundred...), append(us(hundred...)[1:], 5000*time.Microsecond)...), 99, 99 * time.Microsecond},
		{"p0 out of range", us(1, 2), 0, 0},
		{"p above 100", us(1, 2), 101, 0},
		{"NaN", us(1, 2), math.NaN(), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]time.Duration(nil), tt.ds...)
			if got := Percentile(tt.ds, tt.p); got != tt.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tt.ds, tt.p, got, tt.want)
			}
			if diff := cmp.Diff(in, tt.ds); diff != "" {
				t.Errorf("Percentile modified its input (-before +after):\n%s", diff)
			}
		})
	}
}
