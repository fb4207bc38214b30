package bench

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    int64
		wantErr bool
	}{
		{"status file", "Name:\tvpcsim\nVmPeak:\t  9000 kB\nVmRSS:\t   12345 kB\nRssAnon:\t 100 kB\n", 12345 * 1024, false},
		{"zero", "VmRSS:\t0 kB\n", 0, false},
		{"kernel thread has none", "Name:\tkthreadd\nState:\tS (sleeping)\n", 0, true},
		{"bad unit", "VmRSS:\t12 MB\n", 0, true},
		{"bad number", "VmRSS:\tlots kB\n", 0, true},
		{"negative", "VmRSS:\t-5 kB\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVmRSS([]byte(tt.status))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseVmRSS(%q) = %d, %v, want %d, error %v", tt.status, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrBadOutput) {
				t.Errorf("parseVmRSS(%q) error = %v, want %v", tt.status, err, ErrBadOutput)
			}
		})
	}
}

func TestScale(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	var held [][]byte
	var launched, tornDown []int
	launch := func(_ context.Context, n int) (Instance, error) {
		launched = append(launched, n)
		// 64 KiB per n, touched so it is resident.
		for range n {
			b := make([]byte, 64<<10)
			for i := range b {
				b[i] = 1
			}
			held = append(held, b)
		}
		return Instance{Teardown: func() error {
			held = nil
			tornDown = append(tornDown, n)
			time.Sleep(time.Millisecond)
			return nil
		}}, nil
	}
	var progress bytes.Buffer
	got, err := Scale(context.Background(), launch, []int{10, 200}, &progress)
	if err != nil {
		t.Fatalf("Scale() error: %v", err)
	}
	if len(got) != 2 || got[0].N != 10 || got[1].N != 200 {
		t.Fatalf("Scale() = %+v, want results for 10 and 200", got)
	}
	if len(launched) != 2 || len(tornDown) != 2 {
		t.Errorf("Scale() launched %v, tore down %v, want each of 10, 200 once", launched, tornDown)
	}
	for _, r := range got {
		if r.LaunchS <= 0 || r.TeardownS < 0.001 || r.RSSBefore <= 0 {
			t.Errorf("Scale() result %+v, want positive times and memory", r)
		}
	}
	// 200 * 64 KiB = 12.5 MiB resident above what was there before.
	if grew := got[1].RSSBytes - got[1].RSSBefore; grew < 10<<20 {
		t.Errorf("Scale() n=200 grew resident memory by %d bytes, want at least %d", grew, 10<<20)
	}
	if !strings.Contains(progress.String(), "scale 200: teardown") {
		t.Errorf("Scale() progress = %q, want a teardown line for 200", progress.String())
	}

	var table bytes.Buffer
	if err := WriteScaleTable(&table, got); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(table.String(), "\n"); lines != 3 {
		t.Errorf("WriteScaleTable() printed %d lines, want 3:\n%s", lines, table.String())
	}
}

func TestScaleErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		sizes   []int
		launch  Launcher
		want    error
		wantLen int
	}{
		{
			name:  "launch fails on the second size",
			sizes: []int{1, 2},
			launch: func(_ context.Context, n int) (Instance, error) {
				if n == 2 {
					return Instance{}, boom
				}
				return Instance{Teardown: func() error { return nil }}, nil
			},
			want: boom, wantLen: 1,
		},
		{
			name:  "teardown fails",
			sizes: []int{1},
			launch: func(context.Context, int) (Instance, error) {
				return Instance{Teardown: func() error { return boom }}, nil
			},
			want: boom, wantLen: 0,
		},
		{
			name:   "bad size",
			sizes:  []int{0},
			launch: func(context.Context, int) (Instance, error) { return Instance{}, nil },
			want:   ErrConfig, wantLen: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Scale(context.Background(), tt.launch, tt.sizes, nil)
			if !errors.Is(err, tt.want) || len(got) != tt.wantLen {
				t.Errorf("Scale(%v) = %d results, %v, want %d, %v", tt.sizes, len(got), err, tt.wantLen, tt.want)
			}
		})
	}
}
