package allocator_test

import (
	"strings"
	"testing"

	"alloclab/allocator"
	"alloclab/workloads"
)

// A replayed trace's t records drive mseg cache ageing (rule C8 in
// carriers/space.go): three SBC segments cached at 0.1 s leave the cache
// one per simulated second, at 1.1 s, 2.1 s and 3.1 s.
func TestSystemMsegAgeingOnTraceClock(t *testing.T) {
	const trace = `alloclab-trace 1
@ schedulers 1
a 1 binary_alloc 1 1048576
a 2 binary_alloc 1 2097152
a 3 binary_alloc 1 3145728
t 100000000
f 1
f 2
f 3
t 600000000
t 1099999999
t 1100000000
t 2000000000
t 2100000000
t 3099999999
t 3100000000
t 60000000000
`
	// cached segments after each t record, in order
	want := []int{0, 3, 3, 2, 2, 1, 1, 0, 0}

	sys, err := allocator.NewNode(1, "+MMmcs 10")
	if err != nil {
		t.Fatal(err)
	}
	sp := sys.Space()
	cached := func() (n int) {
		for i := 0; i < sp.MsegInstances(); i++ {
			n += sp.Mseg(i).CachedSegments()
		}
		return n
	}
	if n := cached(); n != 0 {
		t.Fatalf("%d cached segments before the trace", n)
	}
	rd := workloads.NewReader(strings.NewReader(trace), "ageing.trace")
	rp := workloads.NewReplayer(sys, "ageing.trace")
	var got []int
	var times []uint64
	for rd.Scan() {
		op := rd.Op()
		if err := rp.Apply(op); err != nil {
			t.Fatal(err)
		}
		if op.Kind == workloads.Time {
			got = append(got, cached())
			times = append(times, op.Nanos)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d t records seen, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("after t %d: %d cached segments, want %d (all: %v, want %v)", times[i], got[i], want[i], got, want)
			break
		}
	}
	checks := uint64(0)
	for i := 0; i < sp.MsegInstances(); i++ {
		in := sp.Mseg(i).Info(false)
		checks += in.Calls.CheckCache
		if in.CacheCheckScheduled {
			t.Errorf("mseg instance %d: cache check still scheduled with an empty cache", i)
		}
	}
	if checks != 3 {
		t.Errorf("%d mseg_check_cache calls, want 3 (one per aged segment)", checks)
	}
	if sp.Now() != 60_000_000_000 {
		t.Errorf("clock %d after the last t record, want 60 s", sp.Now())
	}
	if err := sys.Check(); err != nil {
		t.Fatal(err)
	}
}
