package workloads

import (
	"strings"
	"testing"
)

func TestParsePhases(t *testing.T) {
	ps, err := ParsePhases("ramp:100, plateau:2ms,peak:400:0.25,churn:50ops,sawtooth:1s:5:0.5,ramp:10:0", 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := []Phase{
		{Kind: PhaseRamp, Steps: 100, Arg: 1},
		{Kind: PhasePlateau, Steps: 2000},
		{Kind: PhasePeak, Steps: 400, Arg: 0.25},
		{Kind: PhaseChurn, Steps: 50},
		{Kind: PhaseSawtooth, Steps: 1000000, Arg: 0.5, Teeth: 5},
		{Kind: PhaseRamp, Steps: 10, Arg: 0},
	}
	if len(ps) != len(want) {
		t.Fatalf("%d phases", len(ps))
	}
	for i := range want {
		ps[i].spec = ""
		if ps[i] != want[i] {
			t.Errorf("phase %d: %+v, want %+v", i, ps[i], want[i])
		}
	}
	if ps.Steps() != 100+2000+400+50+1000000+10 {
		t.Errorf("Steps %d", ps.Steps())
	}
	d, _ := ParsePhases("peak:10,sawtooth:8", 0)
	if d[0].Arg != 0.5 || d[1].Teeth != 4 || d[1].Arg != 0.25 || d.String() != "peak:10,sawtooth:8" {
		t.Errorf("defaults: %+v %q", d, d)
	}
	for _, c := range []struct {
		in   string
		step float64
		msg  string
	}{
		{"", 1, "empty"},
		{"zigzag:10", 1, `phase 1 "zigzag:10": unknown kind "zigzag": want one of ramp, plateau, churn, peak, sawtooth`},
		{"ramp", 1, "want ramp:DURATION[:TO]"},
		{"plateau:5:1", 1, "want plateau:DURATION"},
		{"sawtooth:5:1:0.5:2", 1, "want sawtooth:DURATION[:N[:H]]"},
		{"ramp:10,plateau:0", 1, `phase 2 "plateau:0": DURATION "0": want a whole number of steps`},
		{"ramp:1.5", 1, "want a whole number"},
		{"ramp:1s", 0, "needs ticks"},
		{"ramp:10:2", 1, `TO "2": want a level from 0 to 1`},
		{"peak:10:-1", 1, `H "-1"`},
		{"sawtooth:10:11", 1, `N "11": want a whole number of teeth from 1 to the steps of the phase (10)`},
		{"sawtooth:10:2:x", 1, `H "x"`},
		{"churn:5h", 1, `unknown unit "h"`},
	} {
		_, err := ParsePhases(c.in, c.step)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%q: error %v, want %q", c.in, err, c.msg)
		}
	}
	// Errors reach the scenario's user with the parameter named.
	_, _, err = NewScenarioGenerator("phases", 1, []string{"phases=ramp:1s", "tick-every=0"})
	if err == nil || !strings.Contains(err.Error(), `phases: phases="ramp:1s"`) || !strings.Contains(err.Error(), "needs ticks") {
		t.Errorf("error %v", err)
	}
}
