package main

import (
	"os"
	"path/filepath"
	"testing"

	"alloclab/internal/oracle"
)

// TestPoolRoundTrip replays the oracle's carrier-pool round trip
// (../shared/oracle/examples/node/pool_roundtrip.trace: 4000 binaries on
// scheduler 1, all but three freed, then 100 on scheduler 2) and compares
// every D and X line with the real node's reports stored beside it — the
// state just before scheduler 2 starts (--ops 7997) and at the end — so
// it runs without erl. erts-alloc-facts §7.2 and the examples' README
// give the numbers: instance 1 peaks at main + 5 carriers (9961472 bytes
// beyond the main carrier), one 4 MiB carrier with 3 blocks (6048 bytes)
// is pooled; scheduler 2 fetches it (fetch 1, no mseg_alloc), employing
// 2 carriers (4259840 bytes) and 103 blocks.
func TestPoolRoundTrip(t *testing.T) {
	dir := filepath.Join(goldenModuleRoot(t), "..", "shared", "oracle", "examples", "node")
	trace := filepath.Join(dir, "pool_roundtrip.trace")
	for _, c := range []struct {
		report string
		ops    int
	}{{"pool_roundtrip.pooled.delta", 7997}, {"pool_roundtrip.delta", -1}} {
		data, err := os.ReadFile(filepath.Join(dir, c.report))
		if err != nil {
			t.Fatal(err)
		}
		want, err := oracle.ParseNodeReport(data)
		if err != nil {
			t.Fatalf("%s: %v", c.report, err)
		}
		got := simNodeDeltaOps(t, trace, "", want.Meta.Types, c.ops)
		cmp := oracle.CompareNode(want, got, oracle.CompareOpts{Tags: []string{"D", "X"}})
		for _, d := range cmp.Differences() {
			t.Errorf("%s: %s: node %v, alloclab %v", c.report, d.Key, d.Oracle, d.Sim)
		}
		t.Logf("%s: %d lines compared, %d identical", c.report, len(cmp.Keys), cmp.Counts[oracle.Agree])
	}
}
