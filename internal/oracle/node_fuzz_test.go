package oracle

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParseNodeReport: the parser never panics, every error is a
// *NodeParseError naming a line of the input, and an accepted report
// formats to text that parses to the same lines and formats identically
// (Format is a fixed point after one round).
func FuzzParseNodeReport(f *testing.F) {
	for _, name := range nodeTestdata(f) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"alloclab-nodestats 1\n",
		"alloclab-nodestats 1\nM mode delta\nM hist 512 2\nD b 0 mbcs carriers 1 2\nC0 b 0 0 mbc true 5 0 b:1:2,c:3:4 1,2\n",
		"alloclab-nodestats 1\r\nM mode absolute\r\nO b 0 as aoffcbf\r\nI b 0 mbcs_pool fetch 7\r\nM future x\r\n",
		"alloclab-nodestats 1\nM mode diff\nD b 1 sbcs blocks b size -1 -2 -3\nX b live_blocks trace 1 allocator 1 ok\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseNodeReport(data)
		if err != nil {
			var pe *NodeParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *NodeParseError", err)
			}
			if n := strings.Count(string(data), "\n") + 1; pe.Line < 1 || pe.Line > n {
				t.Fatalf("error on line %d of a %d-line input: %v", pe.Line, n, err)
			}
			return
		}
		f1 := r.Format()
		r2, err := ParseNodeReport([]byte(f1))
		if err != nil {
			t.Fatalf("formatted report does not parse: %v\n%s", err, f1)
		}
		if f2 := r2.Format(); f2 != f1 {
			t.Fatalf("Format is not stable:\n%s\n----\n%s", f1, f2)
		}
		if !maps2Equal(lineMap(r), lineMap(r2)) {
			t.Fatalf("reparsed report has other lines:\n%s", f1)
		}
	})
}
