package workloads

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// FuzzParseLifetime: any lifetime spec either fails with an error naming
// it or gives a distribution whose samples can be drawn and whose String
// parses back to the same spec.
func FuzzParseLifetime(f *testing.F) {
	for _, s := range []string{"exp:1000", "fixed:5ms", "bimodal:0.9,100,10000", "forever",
		"cohort:10,exp:1000", "lifo:exp:500", "fifo:fixed:20", "exp:1e400", "cohort:0,exp:1",
		"lifo:lifo:exp:1", "fixed:-1", "exp:1us", "bimodal:2,1,1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseLifetime(s)
		if err != nil {
			if !strings.Contains(err.Error(), "lifetime") {
				t.Fatalf("%q: error %q does not name the spec", s, err)
			}
			return
		}
		r := rand.New(rand.NewPCG(1, 2))
		for range 100 {
			d.Sample(r)
		}
		back, err := ParseLifetime(d.String())
		if err != nil {
			t.Fatalf("%q: String %q does not parse: %v", s, d.String(), err)
		}
		if back.String() != d.String() {
			t.Fatalf("%q: String %q parses to %q", s, d.String(), back.String())
		}
	})
}

// FuzzParsePhases: any phase list either fails with an error naming it or
// gives phases of a finite number of steps whose String parses back.
func FuzzParsePhases(f *testing.F) {
	for _, s := range []string{"ramp:200ms:0.5,plateau:2s,peak:200ms:0.5,churn:200ms,sawtooth:400ms:4:0.25,ramp:100ms:0.1",
		"ramp:100", "peak:10:2", "sawtooth:1:0", "plateau:0", "churn:1e9", ",", "ramp", "ramp:1:-1", "x:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := ParsePhases(s, 1000)
		if err != nil {
			if !strings.Contains(err.Error(), "phases") {
				t.Fatalf("%q: error %q does not name the spec", s, err)
			}
			return
		}
		ps.Steps()
		back, err := ParsePhases(ps.String(), 1000)
		if err != nil {
			t.Fatalf("%q: String %q does not parse: %v", s, ps.String(), err)
		}
		if back.String() != ps.String() {
			t.Fatalf("%q: String %q parses to %q", s, ps.String(), back.String())
		}
	})
}

// FuzzScenarioSet: any --set KEY=VALUE on any scenario either fails with
// an error or gives a generator that writes its first records without
// panicking (parameters are checked before anything is generated).
func FuzzScenarioSet(f *testing.F) {
	for _, c := range [][2]string{{"peak-drop", "peak=10"}, {"ets-churn", "objects=5"}, {"binary-traffic", "size=pareto:1.2,65"},
		{"process-churn", "procs=3"}, {"scheduler-shift", "schedulers=3"}, {"phases", "phases=ramp:10,peak:10"},
		{"peak-drop", "lifetime=fifo:exp:5"}, {"peak-drop", "types=binary_alloc=0"}, {"ets-churn", "size=0"}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, name, kv string) {
		g, _, err := NewScenarioGenerator(name, 1, []string{kv})
		if err != nil {
			return
		}
		for n := 0; n < 2000 && g.Scan(); n++ {
		}
		if err := g.Err(); err != nil {
			t.Fatalf("%s %q: %v", name, kv, err)
		}
	})
}
