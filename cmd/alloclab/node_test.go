package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTrace writes a trace into a temporary file and returns its path.
func writeTrace(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "t.trace")
	if err := os.WriteFile(p, []byte("alloclab-trace 1\n"+body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// nodeInfo replays a trace on a node and returns the --info report of
// type/instance "binary_alloc 1" etc. as a map from report line prefix to
// line.
func nodeInfo(t *testing.T, args ...string) map[string]string {
	t.Helper()
	code, out, stderr := goldenRun(append([]string{"replay", "--info", "--check"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m := map[string]string{}
	var inst string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "== ") {
			inst = strings.TrimPrefix(l, "== ")
			continue
		}
		if k, v, ok := strings.Cut(l, ": "); ok {
			m[inst+" "+k] = v
		}
	}
	return m
}

func TestNodeRouting(t *testing.T) {
	// Allocations land in the allocating scheduler's instance; a free by
	// another scheduler is counted by the employer when the run ends; a
	// realloc by another scheduler is an alloc in the caller's instance.
	tr := writeTrace(t, `@ schedulers 2
a 1 binary_alloc 1 1000
a 2 binary_alloc 1 1000
a 3 binary_alloc 2 1000
a 4 binary_alloc 0 1000
f 1 2
r 2 2000 2
f 4 1
a 5 binary_alloc 1 500
f 5
`)
	m := nodeInfo(t, tr)
	for k, want := range map[string]string{
		"binary_alloc 1 binary_alloc calls":              "3",
		"binary_alloc 1 binary_free calls":               "3", // 1 and 2 (queued), 5
		"binary_alloc 1 binary_realloc calls":            "0",
		"binary_alloc 2 binary_alloc calls":              "2", // 3, and 2's realloc
		"binary_alloc 2 binary_free calls":               "0",
		"binary_alloc 0 binary_free calls":               "1",     // 4, queued by scheduler 1
		"binary_alloc 1 mbcs blocks[binary_alloc] count": "0 2 2", // 1, 2; 5 after both were freed
		"binary_alloc 2 mbcs blocks[binary_alloc] count": "2 2 2",
		"binary_alloc 0 mbcs blocks[binary_alloc] count": "0 1 1",
	} {
		if got := m[k]; got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
}

func TestNodeDelayedFreeAppliedAtRunEnd(t *testing.T) {
	// Scheduler 2 frees scheduler 1's block; while scheduler 2 keeps
	// running, the block stays; the next record by scheduler 1 starts a
	// new run, so the free is applied first and the new block reuses the
	// space (same count, not 2).
	tr := writeTrace(t, `@ schedulers 2
a 1 binary_alloc 1 1000
f 1 2
a 2 binary_alloc 2 100
a 3 binary_alloc 1 1000
`)
	m := nodeInfo(t, tr)
	if got := m["binary_alloc 1 mbcs blocks[binary_alloc] count"]; got != "1 1 1" {
		t.Errorf("instance 1 blocks %q, want \"1 1 1\" (the queued free applied before the next run)", got)
	}
}

func TestNodeErrors(t *testing.T) {
	for _, c := range []struct{ name, body, words string }{
		{"scheduler out of range", "@ schedulers 2\na 1 binary_alloc 3 100\n", ":3: a: scheduler 3"},
		{"temp cross free", "@ schedulers 2\na 1 temp_alloc 1 100\nf 1 2\n", ":4: f: temp_alloc"},
		{"late directive", "a 1 binary_alloc 1 100\n@ schedulers 4\n", ":3: '@ schedulers' must come before"},
		{"bad @ schedulers", "@ schedulers x\n", ":2: @ schedulers"},
		{"bad @ flags", "@ flags +MBas foo\n", ":2: @ flags"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := goldenRun("replay", writeTrace(t, c.body))
			if code != 2 || len(out) != 0 || !strings.Contains(stderr, c.words) {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing, %q", code, out, stderr, c.words)
			}
		})
	}
}
