package workloads

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateGolden = flag.Bool("update", false, "regenerate the golden scenario traces of testdata/scenarios")

// goldenSets are small versions of each scenario for the golden traces.
var goldenSets = map[string][]string{
	"peak-drop":       {"peak=100", "survive=0.2", "tick-every=20"},
	"binary-traffic":  {"ops=300", "lifetime=bimodal:0.9,10,200", "tick-every=20"},
	"scheduler-shift": {"ops=300", "lifetime=exp:50", "tick-every=20"},
	"ets-churn":       {"objects=100", "delete=0.3", "rounds=1", "tick-every=20"},
	"process-churn":   {"ops=300", "processes=10", "gcs=5", "heap=lognormal:8,1", "tick-every=20"},
	"phases":          {"live=40", "phases=ramp:60:0.5,plateau:40,peak:60:0.5,churn:40,sawtooth:60:2:0.25,ramp:40:0", "tick-every=20", "tick-ns=1000"},
}

// TestScenarioGolden compares a short trace of every scenario with
// testdata/scenarios/NAME.trace (go test -run ScenarioGolden -update
// rewrites them). A change here changes what every seed generates: make
// it on purpose.
func TestScenarioGolden(t *testing.T) {
	for _, sc := range Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			set, ok := goldenSets[sc.Name]
			if !ok {
				t.Fatalf("no golden parameters for %s", sc.Name)
			}
			got := genText(t, sc.Name, 42, set...)
			path := filepath.Join("testdata", "scenarios", sc.Name+".trace")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (regenerate with go test ./workloads -run ScenarioGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%s differs from its golden trace %s (if intended, regenerate with -update)", sc.Name, path)
			}
			replayCheck(t, got, nil)
		})
	}
}
