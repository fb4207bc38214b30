package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrBadOutput is returned (wrapped) when a tool's output cannot be read.
var ErrBadOutput = errors.New("bench: unreadable tool output")

// ErrNoData is returned (wrapped) when a measurement's receiving side got
// nothing: the path under test did not carry the traffic.
var ErrNoData = errors.New("bench: receiver got no data")

// IperfError is an error that iperf3 itself reported in its JSON output,
// such as "unable to connect to server: Connection refused".
type IperfError struct {
	Side string // "client" or "server"
	Msg  string
}

func (e *IperfError) Error() string { return fmt.Sprintf("iperf3 %s: %s", e.Side, e.Msg) }

// iperfOutput is the part of `iperf3 -J` output the harness reads.
type iperfOutput struct {
	End struct {
		SumSent     iperfSum `json:"sum_sent"`
		SumReceived iperfSum `json:"sum_received"`
	} `json:"end"`
	Error string `json:"error"`
}

// iperfSum is one of iperf3's end-of-test totals. Packet fields are set for
// UDP only, Retransmits for TCP senders only.
type iperfSum struct {
	Seconds       float64 `json:"seconds"`
	Bytes         int64   `json:"bytes"`
	BitsPerSecond float64 `json:"bits_per_second"`
	Retransmits   int     `json:"retransmits"`
	Packets       int64   `json:"packets"`
	LostPackets   int64   `json:"lost_packets"`
	LostPercent   float64 `json:"lost_percent"`
}

// parseIperf decodes the JSON output of one iperf3 side ("client" or
// "server"), returning an *IperfError when iperf3 reported one.
func parseIperf(side string, data []byte) (*iperfOutput, error) {
	var out iperfOutput
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, fmt.Errorf("%w: iperf3 %s: %v: %q", ErrBadOutput, side, err, head(data))
	}
	if out.Error != "" {
		return nil, &IperfError{Side: side, Msg: out.Error}
	}
	return &out, nil
}

// TCPStats are the figures of one TCP iperf3 test.
type TCPStats struct {
	BitsPerSecond float64 // goodput as received by the server
	Retransmits   int     // sender retransmissions
}

// parseTCP reads the client and server JSON of one TCP test and checks that
// the server received data.
func parseTCP(client, server []byte) (TCPStats, error) {
	c, err := parseIperf("client", client)
	if err != nil {
		return TCPStats{}, err
	}
	s, err := parseIperf("server", server)
	if err != nil {
		return TCPStats{}, err
	}
	if s.End.SumReceived.Bytes <= 0 || c.End.SumReceived.BitsPerSecond <= 0 {
		return TCPStats{}, fmt.Errorf("%w: tcp: server received %d bytes", ErrNoData, s.End.SumReceived.Bytes)
	}
	return TCPStats{BitsPerSecond: c.End.SumReceived.BitsPerSecond, Retransmits: c.End.SumSent.Retransmits}, nil
}

// udpStats are the figures of one UDP iperf3 test.
type udpStats struct {
	SentPPS     float64 // datagrams per second sent by the client
	PPS         float64 // datagrams per second received by the server
	LossPercent float64 // datagrams lost, as iperf3 counts them
}

// parseUDP reads the client and server JSON of one UDP test and checks that
// the server received datagrams.
func parseUDP(client, server []byte) (udpStats, error) {
	c, err := parseIperf("client", client)
	if err != nil {
		return udpStats{}, err
	}
	s, err := parseIperf("server", server)
	if err != nil {
		return udpStats{}, err
	}
	recv := c.End.SumReceived
	got := recv.Packets - recv.LostPackets
	if s.End.SumReceived.Bytes <= 0 || got <= 0 || recv.Seconds <= 0 {
		return udpStats{}, fmt.Errorf("%w: udp: server received %d bytes, %d of %d datagrams",
			ErrNoData, s.End.SumReceived.Bytes, max(got, 0), recv.Packets)
	}
	st := udpStats{PPS: float64(got) / recv.Seconds, LossPercent: recv.LostPercent}
	if sent := c.End.SumSent; sent.Seconds > 0 {
		st.SentPPS = float64(sent.Packets) / sent.Seconds
	}
	return st, nil
}

// pingStats are the figures of one ping run.
type pingStats struct {
	Transmitted int
	Received    int             // distinct replies, duplicates not counted
	RTTs        []time.Duration // one per reply line, duplicates left out
}

// LossPercent returns the share of echo requests that got no reply.
func (p pingStats) LossPercent() float64 {
	if p.Transmitted == 0 {
		return 0
	}
	return 100 * float64(p.Transmitted-p.Received) / float64(p.Transmitted)
}

var (
	pingReplyRE   = regexp.MustCompile(`icmp_seq=\d+ .*time=([0-9.]+) ms`)
	pingSummaryRE = regexp.MustCompile(`^(\d+) packets transmitted, (\d+) received`)
)

// parsePing reads iputils ping output (without -q): every reply line's
// time= and the summary line's counts.
func parsePing(out []byte) (pingStats, error) {
	var st pingStats
	summary := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := pingSummaryRE.FindStringSubmatch(line); m != nil {
			st.Transmitted, _ = strconv.Atoi(m[1])
			st.Received, _ = strconv.Atoi(m[2])
			summary = true
			continue
		}
		if strings.Contains(line, "(DUP!)") {
			continue
		}
		if m := pingReplyRE.FindStringSubmatch(line); m != nil {
			ms, err := strconv.ParseFloat(m[1], 64)
			if err != nil || ms < 0 || math.IsInf(ms, 0) {
				return pingStats{}, fmt.Errorf("%w: ping: bad time in %q", ErrBadOutput, line)
			}
			st.RTTs = append(st.RTTs, time.Duration(ms*float64(time.Millisecond)))
		}
	}
	if !summary {
		return pingStats{}, fmt.Errorf("%w: ping: no summary line in %q", ErrBadOutput, head(out))
	}
	if st.Received == 0 || len(st.RTTs) == 0 {
		return pingStats{}, fmt.Errorf("%w: ping: %d transmitted, 0 received", ErrNoData, st.Transmitted)
	}
	return st, nil
}

// Percentile returns the p-th percentile (0 < p <= 100) of ds by the
// nearest-rank method: the smallest value with at least p% of the values at
// or below it. It returns 0 for an empty slice or p out of range. ds is not
// modified.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 || !(p > 0 && p <= 100) {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// listening reports whether a /proc/net/tcp or tcp6 table lists a socket in
// state LISTEN on port.
func listening(table []byte, port int) bool {
	want := fmt.Sprintf(":%04X", port)
	sc := bufio.NewScanner(bytes.NewReader(table))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// sl local_address rem_address st ...
		if len(f) > 3 && strings.HasSuffix(f[1], want) && f[3] == "0A" {
			return true
		}
	}
	return false
}

// head returns at most the first 200 bytes of b, for error messages.
func head(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}
