package main

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// BenchmarkCompareVsReplay: compare of the ten strategies on a 1 M-record
// trace against one replay of it (the default node, 2 schedulers). It
// reports both times per iteration and their ratio; the goal is
// ratio < 1.3 × 10 / cores (the ten replays spread over the cores, with
// the recording of the series and metrics costing less than 30%).
//
//	go test ./cmd/alloclab -run '^$' -bench CompareVsReplay -benchtime 3x
func BenchmarkCompareVsReplay(b *testing.B) {
	trace := filepath.Join(b.TempDir(), "binary-traffic.altr")
	if err := generateTo("binary-traffic", &genOpts{seed: 1, set: []string{"ops=1000000"}}, trace); err != nil {
		b.Fatal(err)
	}
	var replay, compare time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		if r := cliRun("", "replay", trace); r.code != 0 {
			b.Fatal(r.stderr)
		}
		t1 := time.Now()
		if r := cliRun("", "compare", "--format", "csv", trace); r.code != 0 {
			b.Fatal(r.stderr)
		}
		replay += t1.Sub(t0)
		compare += time.Since(t1)
	}
	n := float64(b.N)
	ratio := float64(compare) / float64(replay)
	cores := runtime.GOMAXPROCS(0)
	b.ReportMetric(float64(replay.Nanoseconds())/n, "replay-ns/op")
	b.ReportMetric(float64(compare.Nanoseconds())/n, "compare10-ns/op")
	b.ReportMetric(ratio, "compare/replay")
	b.ReportMetric(1.3*10/float64(min(cores, 10)), "target-ratio")
	b.ReportMetric(float64(compare.Nanoseconds())/n/10/1e6, "ns/record/config")
}
