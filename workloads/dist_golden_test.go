package workloads

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"alloclab/allocator"
)

// TestDistGolden compares the first draws of every size distribution and
// lifetime, and a short stream of every lifetime policy, with
// testdata/dists.golden (rewritten by -update): what a seed gives must not
// change by accident.
func TestDistGolden(t *testing.T) {
	var b bytes.Buffer
	for _, spec := range []string{
		"fixed:512", "uniform:64,4096", "loguniform:8,2M", "lognormal:5,1",
		"pareto:65,1.2", "pareto:65,1.2,max=1M", "empirical:1-64=3,64-1K=1,4096=0.5",
		"hist:512,10,4,0,1", "mix:0.9*lognormal:5,1+0.1*fixed:1M",
	} {
		d := MustSize(ParseSizeDist(spec))
		r := newRand(1)
		fmt.Fprintf(&b, "size %s:", spec)
		for range 12 {
			fmt.Fprintf(&b, " %d", d.Sample(r))
		}
		b.WriteString("\n")
	}
	for _, spec := range []string{"fixed:7", "exp:1000", "exp:2ms", "bimodal:0.9,10,10000", "forever"} {
		d, err := ParseLifetime(spec)
		if err != nil {
			t.Fatal(err)
		}
		r := newRand(1)
		fmt.Fprintf(&b, "lifetime %s:", spec)
		for range 12 {
			fmt.Fprintf(&b, " %d", d.Sample(r))
		}
		b.WriteString("\n")
	}
	for _, spec := range []string{"cohort:4,exp:20", "lifo:exp:20", "fifo:exp:20"} {
		lt, err := ParseLifetime(spec)
		if err != nil {
			t.Fatal(err)
		}
		cfg := GenConfig{Seed: 1, Schedulers: 1, Types: []allocator.Type{allocator.STD}, Size: MustSize(Fixed(64)), Lifetime: lt}
		g := NewGenerator(cfg, nil, func(g *Generator) bool {
			g.SteadyStep(nil)
			return g.Records() < 40
		})
		fmt.Fprintf(&b, "stream %s:", spec)
		for g.Scan() {
			op := g.Op()
			fmt.Fprintf(&b, " %c%d", op.Kind, op.ID)
		}
		b.WriteString("\n")
	}
	path := filepath.Join("testdata", "dists.golden")
	if *updateGolden {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (regenerate with go test ./workloads -run DistGolden -update)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Fatalf("draws differ from %s (if intended, regenerate with -update):\n%s", path, b.Bytes())
	}
}
