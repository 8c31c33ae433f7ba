package workloads

import (
	"bytes"
	"strings"
	"testing"

	"alloclab/allocator"
)

func genText(t *testing.T, name string, seed uint64, set ...string) []byte {
	t.Helper()
	g, _, err := NewScenarioGenerator(name, seed, set)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for g.Scan() {
		if err := w.Write(g.Op()); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// small overrides keep the tests fast.
var smallSets = map[string][]string{
	"peak-drop":       {"peak=3000"},
	"binary-traffic":  {"ops=20000"},
	"scheduler-shift": {"ops=20000"},
	"ets-churn":       {"objects=2000"},
	"process-churn":   {"ops=20000", "processes=200"},
	"phases":          {"live=1000", "phases=ramp:2000:0.5,plateau:500,peak:2000,churn:2000,sawtooth:4000,ramp:1000:0"},
}

func TestScenarioDeterminism(t *testing.T) {
	for _, sc := range Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			a := genText(t, sc.Name, 7, smallSets[sc.Name]...)
			b := genText(t, sc.Name, 7, smallSets[sc.Name]...)
			if !bytes.Equal(a, b) {
				t.Fatal("same seed gave different traces")
			}
			c := genText(t, sc.Name, 8, smallSets[sc.Name]...)
			if bytes.Equal(a, c) {
				t.Fatal("different seeds gave the same trace")
			}
		})
	}
}

// replayCheck reads the trace back and checks liveness rules: IDs unique
// while live, r/f only of live IDs, times not going backwards.
func replayCheck(t *testing.T, text []byte, each func(op Op, live map[uint64]Op)) map[uint64]Op {
	t.Helper()
	rd := NewReader(bytes.NewReader(text), "gen")
	live := map[uint64]Op{}
	var now uint64
	for rd.Scan() {
		op := rd.Op()
		switch op.Kind {
		case Alloc:
			if _, ok := live[op.ID]; ok {
				t.Fatalf("line %d: ID %d reused while live", op.Line, op.ID)
			}
			live[op.ID] = op
		case Realloc:
			a, ok := live[op.ID]
			if !ok {
				t.Fatalf("line %d: realloc of dead %d", op.Line, op.ID)
			}
			a.Size = op.Size
			live[op.ID] = a
		case Free:
			a, ok := live[op.ID]
			if !ok {
				t.Fatalf("line %d: free of dead %d", op.Line, op.ID)
			}
			if op.HasSched && op.Sched == a.Sched {
				t.Fatalf("line %d: cross free by the owner", op.Line)
			}
			delete(live, op.ID)
		case Time:
			if op.Nanos < now {
				t.Fatalf("line %d: time going backwards", op.Line)
			}
			now = op.Nanos
		}
		if each != nil {
			each(op, live)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	return live
}

func TestScenarioPeakDrop(t *testing.T) {
	text := genText(t, "peak-drop", 1, "peak=4000", "survive=0.1")
	peak, drops := 0, 0
	replayCheck(t, text, func(op Op, live map[uint64]Op) {
		if len(live) > peak {
			peak = len(live)
			if drops > 0 {
				t.Fatal("live count grew again after the drop")
			}
		}
		if op.Kind == Free {
			drops++
		}
	})
	live := replayCheck(t, text, nil)
	if peak != 4000 || len(live) != 400 {
		t.Fatalf("peak %d, survivors %d; want 4000, 400", peak, len(live))
	}
	if !bytes.Contains(text, []byte("\nt ")) {
		t.Fatal("no t records")
	}
}

func TestScenarioBinaryTraffic(t *testing.T) {
	text := genText(t, "binary-traffic", 1, "ops=50000")
	var sizes []uint64
	frees, allocs, reallocs := 0, 0, 0
	live := replayCheck(t, text, func(op Op, _ map[uint64]Op) {
		switch op.Kind {
		case Alloc:
			allocs++
			if op.Type != allocator.Binary {
				t.Fatalf("type %v", op.Type)
			}
			if op.Size < 65 || op.Size > 1<<20 {
				t.Fatalf("size %d outside 65..1M", op.Size)
			}
			sizes = append(sizes, op.Size)
		case Free:
			frees++
		case Realloc:
			reallocs++
		}
	})
	// Heavy tail: the median is small but some are ≥ 64 KiB.
	small, big := 0, 0
	for _, s := range sizes {
		if s < 256 {
			small++
		}
		if s >= 64<<10 {
			big++
		}
	}
	if small < len(sizes)/2 || big == 0 {
		t.Fatalf("not heavy-tailed: %d of %d < 256 B, %d ≥ 64 KiB", small, len(sizes), big)
	}
	if frees < allocs/2 || reallocs == 0 || len(live) == 0 {
		t.Fatalf("allocs %d frees %d reallocs %d live at end %d", allocs, frees, reallocs, len(live))
	}
}

func TestScenarioSchedulerShift(t *testing.T) {
	text := genText(t, "scheduler-shift", 1, "ops=40000")
	var scheds []uint32
	replayCheck(t, text, func(op Op, _ map[uint64]Op) {
		if op.Kind == Alloc {
			scheds = append(scheds, op.Sched)
		}
	})
	share2 := func(s []uint32) float64 {
		n := 0
		for _, x := range s {
			if x == 2 {
				n++
			}
		}
		return float64(n) / float64(len(s))
	}
	q := len(scheds) / 5
	first, last := share2(scheds[:q]), share2(scheds[len(scheds)-q:])
	if first > 0.2 || last < 0.8 {
		t.Fatalf("scheduler 2's share: first fifth %.2f, last fifth %.2f", first, last)
	}
}

func TestScenarioETSChurn(t *testing.T) {
	text := genText(t, "ets-churn", 1, "objects=1000", "delete=0.3", "rounds=2")
	allocs, frees := 0, 0
	live := replayCheck(t, text, func(op Op, _ map[uint64]Op) {
		switch op.Kind {
		case Alloc:
			allocs++
			if op.Type != allocator.ETS || op.Size != 512 {
				t.Fatalf("alloc %+v", op)
			}
		case Free:
			frees++
		}
	})
	if allocs != 1600 || frees != 600 || len(live) != 1000 {
		t.Fatalf("allocs %d frees %d live %d", allocs, frees, len(live))
	}
}

func TestScenarioBadSet(t *testing.T) {
	for _, c := range []struct {
		name string
		set  []string
		want string
	}{
		{"nope", nil, "unknown scenario"},
		{"peak-drop", []string{"bogus=1"}, `unknown parameter "bogus"`},
		{"peak-drop", []string{"peak"}, "expected KEY=VALUE"},
		{"peak-drop", []string{"peak=-3"}, "expected an integer"},
		{"peak-drop", []string{"size=zipf:3"}, "size distribution"},
		{"binary-traffic", []string{"lifetime=exp:-1"}, "lifetime"},
		{"ets-churn", []string{"types=literal_alloc"}, "literal_alloc"},
		{"scheduler-shift", []string{"to=3"}, "expected an integer from 1 to 2"},
	} {
		_, _, err := NewScenarioGenerator(c.name, 1, c.set)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: err %v, want %q", c.name, c.set, err, c.want)
		}
	}
}

func TestScenarioNanosLifetime(t *testing.T) {
	text := genText(t, "binary-traffic", 1, "ops=20000", "lifetime=exp:20us", "realloc=0")
	frees := 0
	live := replayCheck(t, text, func(op Op, _ map[uint64]Op) {
		if op.Kind == Free {
			frees++
		}
	})
	if frees < 8000 || len(live) == 0 || len(live) > 2000 {
		t.Fatalf("frees %d, live %d", frees, len(live))
	}
	if _, _, err := NewScenarioGenerator("binary-traffic", 1, []string{"lifetime=exp:20us", "tick-every=0"}); err == nil || !strings.Contains(err.Error(), "nanoseconds") {
		t.Fatalf("err %v", err)
	}
}
