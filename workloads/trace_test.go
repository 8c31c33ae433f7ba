package workloads

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"alloclab/allocator"
)

// readAll reads a whole trace; ops carry their line numbers.
func readAll(t testing.TB, in string, lenient bool) ([]Op, *Reader) {
	t.Helper()
	rd := NewReader(strings.NewReader(in), "x.trace")
	rd.SetLenient(lenient)
	var ops []Op
	for rd.Scan() {
		ops = append(ops, rd.Op())
	}
	return ops, rd
}

const hdr = "alloclab-trace 1\n"

func TestReaderAccepts(t *testing.T) {
	B := allocator.Binary
	tests := []struct {
		name string
		in   string
		want []Op
	}{
		{"magic only", "alloclab-trace 1\n", nil},
		{"magic without line end", "alloclab-trace 1", nil},
		{"magic with CR", "alloclab-trace 1\r\n", nil},
		{"alloc", hdr + "a 1 binary_alloc 2 100\n",
			[]Op{{Kind: Alloc, ID: 1, Type: B, Sched: 2, Size: 100, Line: 2}}},
		{"alloc letter types", hdr + "a 1 T 0 1\na 2 S 0 1\na 3 D 0 1\na 4 L 0 1\na 5 H 0 1\n" +
			"a 6 E 0 1\na 7 F 0 1\na 8 I 0 1\na 9 B 0 1\na 10 R 0 1\n",
			[]Op{
				{Kind: Alloc, ID: 1, Type: allocator.Temp, Size: 1, Line: 2},
				{Kind: Alloc, ID: 2, Type: allocator.SL, Size: 1, Line: 3},
				{Kind: Alloc, ID: 3, Type: allocator.STD, Size: 1, Line: 4},
				{Kind: Alloc, ID: 4, Type: allocator.LL, Size: 1, Line: 5},
				{Kind: Alloc, ID: 5, Type: allocator.EHeap, Size: 1, Line: 6},
				{Kind: Alloc, ID: 6, Type: allocator.ETS, Size: 1, Line: 7},
				{Kind: Alloc, ID: 7, Type: allocator.Fix, Size: 1, Line: 8},
				{Kind: Alloc, ID: 8, Type: allocator.Literal, Size: 1, Line: 9},
				{Kind: Alloc, ID: 9, Type: allocator.Binary, Size: 1, Line: 10},
				{Kind: Alloc, ID: 10, Type: allocator.Driver, Size: 1, Line: 11},
			}},
		{"alloc full type names", hdr + "a 1 temp_alloc 0 1\na 2 sl_alloc 0 1\na 3 std_alloc 0 1\n" +
			"a 4 ll_alloc 0 1\na 5 eheap_alloc 0 1\na 6 ets_alloc 0 1\na 7 fix_alloc 0 1\n" +
			"a 8 literal_alloc 0 1\na 9 binary_alloc 0 1\na 10 driver_alloc 0 1\n",
			[]Op{
				{Kind: Alloc, ID: 1, Type: allocator.Temp, Size: 1, Line: 2},
				{Kind: Alloc, ID: 2, Type: allocator.SL, Size: 1, Line: 3},
				{Kind: Alloc, ID: 3, Type: allocator.STD, Size: 1, Line: 4},
				{Kind: Alloc, ID: 4, Type: allocator.LL, Size: 1, Line: 5},
				{Kind: Alloc, ID: 5, Type: allocator.EHeap, Size: 1, Line: 6},
				{Kind: Alloc, ID: 6, Type: allocator.ETS, Size: 1, Line: 7},
				{Kind: Alloc, ID: 7, Type: allocator.Fix, Size: 1, Line: 8},
				{Kind: Alloc, ID: 8, Type: allocator.Literal, Size: 1, Line: 9},
				{Kind: Alloc, ID: 9, Type: allocator.Binary, Size: 1, Line: 10},
				{Kind: Alloc, ID: 10, Type: allocator.Driver, Size: 1, Line: 11},
			}},
		{"number limits", hdr + "a 18446744073709551615 B 4294967295 281474976710655\nt 18446744073709551615\n",
			[]Op{
				{Kind: Alloc, ID: 1<<64 - 1, Type: B, Sched: 1<<32 - 1, Size: 1<<48 - 1, Line: 2},
				{Kind: Time, Nanos: 1<<64 - 1, Line: 3},
			}},
		{"leading zeros", hdr + "a 0000000000000000000000000000007 B 001 0100\n",
			[]Op{{Kind: Alloc, ID: 7, Type: B, Sched: 1, Size: 100, Line: 2}}},
		{"id zero", hdr + "a 0 B 0 1\nf 0\n",
			[]Op{{Kind: Alloc, Type: B, Size: 1, Line: 2}, {Kind: Free, Line: 3}}},
		{"realloc and free without sched", hdr + "a 1 B 3 10\nr 1 20\nf 1\n",
			[]Op{
				{Kind: Alloc, ID: 1, Type: B, Sched: 3, Size: 10, Line: 2},
				{Kind: Realloc, ID: 1, Size: 20, Line: 3},
				{Kind: Free, ID: 1, Line: 4},
			}},
		{"realloc and free with sched", hdr + "a 1 B 3 10\nr 1 20 0\nf 1 4\n",
			[]Op{
				{Kind: Alloc, ID: 1, Type: B, Sched: 3, Size: 10, Line: 2},
				{Kind: Realloc, ID: 1, Size: 20, HasSched: true, Line: 3},
				{Kind: Free, ID: 1, Sched: 4, HasSched: true, Line: 4},
			}},
		{"id reuse after free", hdr + "a 5 B 1 10\nf 5\na 5 B 1 10\n",
			[]Op{
				{Kind: Alloc, ID: 5, Type: B, Sched: 1, Size: 10, Line: 2},
				{Kind: Free, ID: 5, Line: 3},
				{Kind: Alloc, ID: 5, Type: B, Sched: 1, Size: 10, Line: 4},
			}},
		{"time equal and increasing", hdr + "t 0\nt 5\nt 5\nt 6\n",
			[]Op{{Kind: Time, Line: 2}, {Kind: Time, Nanos: 5, Line: 3}, {Kind: Time, Nanos: 5, Line: 4},
				{Kind: Time, Nanos: 6, Line: 5}}},
		{"comments and blank lines", hdr + "# c\n\n   \n\t\n  # indented comment\n#\nt 1\n",
			[]Op{{Kind: Time, Nanos: 1, Line: 8}}},
		{"blanks around and between fields", hdr + " \t a\t 1  B\t\t1 10 \t\n  f 1  \n",
			[]Op{{Kind: Alloc, ID: 1, Type: B, Sched: 1, Size: 10, Line: 2}, {Kind: Free, ID: 1, Line: 3}}},
		{"CRLF line ends", "alloclab-trace 1\r\na 1 B 1 10\r\n@ k v\r\nf 1 2 \r\n",
			[]Op{
				{Kind: Alloc, ID: 1, Type: B, Sched: 1, Size: 10, Line: 2},
				{Kind: Directive, Key: "k", Value: "v", Line: 3},
				{Kind: Free, ID: 1, Sched: 2, HasSched: true, Line: 4},
			}},
		{"last line without line end", hdr + "t 3", []Op{{Kind: Time, Nanos: 3, Line: 2}}},
		{"last line CR without line end", hdr + "t 3\r", []Op{{Kind: Time, Nanos: 3, Line: 2}}},
		{"directives", hdr + "@ schedulers 2\n@ flags +MBas aobf  +MBacul 0 \n@ otp 25\n@source  free\ttext here\n" +
			"  @\tempty\n@ x-unknown a b c\n@ cr \r\r\n",
			[]Op{
				{Kind: Directive, Key: "schedulers", Value: "2", Line: 2},
				{Kind: Directive, Key: "flags", Value: "+MBas aobf  +MBacul 0", Line: 3},
				{Kind: Directive, Key: "otp", Value: "25", Line: 4},
				{Kind: Directive, Key: "source", Value: "free\ttext here", Line: 5},
				{Kind: Directive, Key: "empty", Line: 6},
				{Kind: Directive, Key: "x-unknown", Value: "a b c", Line: 7},
				{Kind: Directive, Key: "cr", Line: 8},
			}},
		{"spec example", hdr + "@ schedulers 2\n@ source hand-written example\na 1 binary_alloc 1 1000\n" +
			"a 2 binary_alloc 1 70000\nt 1000000\nf 1 2\nr 2 600000\nf 2\n",
			[]Op{
				{Kind: Directive, Key: "schedulers", Value: "2", Line: 2},
				{Kind: Directive, Key: "source", Value: "hand-written example", Line: 3},
				{Kind: Alloc, ID: 1, Type: B, Sched: 1, Size: 1000, Line: 4},
				{Kind: Alloc, ID: 2, Type: B, Sched: 1, Size: 70000, Line: 5},
				{Kind: Time, Nanos: 1000000, Line: 6},
				{Kind: Free, ID: 1, Sched: 2, HasSched: true, Line: 7},
				{Kind: Realloc, ID: 2, Size: 600000, Line: 8},
				{Kind: Free, ID: 2, Line: 9},
			}},
		{"longest line", hdr + "#" + strings.Repeat("x", MaxLineLen-1) + "\nt 1\n",
			[]Op{{Kind: Time, Nanos: 1, Line: 3}}},
		{"longest line with CRLF", hdr + "#" + strings.Repeat("x", MaxLineLen-1) + "\r\nt 1\n",
			[]Op{{Kind: Time, Nanos: 1, Line: 3}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ops, rd := readAll(t, tc.in, false)
			if err := rd.Err(); err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(ops, tc.want) {
				t.Errorf("ops:\n got %+v\nwant %+v", ops, tc.want)
			}
			n := 0
			for _, op := range tc.want {
				if op.Kind != Directive {
					n++
				}
			}
			if rd.Records() != n {
				t.Errorf("Records() = %d, want %d", rd.Records(), n)
			}
			if rd.Scan() {
				t.Errorf("Scan after the end returned true")
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	long := strings.Repeat("9", 60)
	tests := []struct {
		name string
		in   string
		line int
		msg  string
	}{
		{"empty input", "", 1, `empty input: expected "alloclab-trace 1" on the first line`},
		{"empty first line", "\nalloclab-trace 1\n", 1, `expected "alloclab-trace 1" on the first line`},
		{"wrong magic", "alloclab-trace 2\n", 1, `expected "alloclab-trace 1" on the first line`},
		{"first line trailing blank", "alloclab-trace 1 \n", 1, `expected "alloclab-trace 1" on the first line`},
		{"first line leading blank", " alloclab-trace 1\n", 1, `expected "alloclab-trace 1" on the first line`},
		{"first line two CRs", "alloclab-trace 1\r\r\n", 1, `expected "alloclab-trace 1" on the first line`},
		{"first line comment", "# alloclab-trace 1\n", 1, `expected "alloclab-trace 1" on the first line`},
		{"first line too long", strings.Repeat("a", 100000), 1, `expected "alloclab-trace 1" on the first line`},
		{"unknown record", hdr + "x 1\n", 2, `unknown record "x" (expected a, r, f, t, @ or #)`},
		{"unknown long record", hdr + "\n\nalloc 1 B 1 1\n", 4, `unknown record "alloc" (expected a, r, f, t, @ or #)`},
		{"record glued to field", hdr + "a1 B 1 1\n", 2, `unknown record "a1" (expected a, r, f, t, @ or #)`},
		{"uppercase record", hdr + "A 1 B 1 1\n", 2, `unknown record "A" (expected a, r, f, t, @ or #)`},
		{"trailing comment", hdr + "t 1 # no\n", 2, `t: expected 1 field (t NANOS), got 3`},
		{"quoted long record", hdr + long + "\n", 2,
			`unknown record "` + long[:40] + `"... (expected a, r, f, t, @ or #)`},
		{"a too few", hdr + "a 1 B\n", 2, `a: expected 4 fields (a ID TYPE SCHED SIZE), got 2`},
		{"a none", hdr + "a\n", 2, `a: expected 4 fields (a ID TYPE SCHED SIZE), got 0`},
		{"a too many", hdr + "a 1 B 1 1 1\n", 2, `a: expected 4 fields (a ID TYPE SCHED SIZE), got 5`},
		{"r too few", hdr + "r 1\n", 2, `r: expected 2 or 3 fields (r ID SIZE [SCHED]), got 1`},
		{"r too many", hdr + "r 1 2 3 4\n", 2, `r: expected 2 or 3 fields (r ID SIZE [SCHED]), got 4`},
		{"f too few", hdr + "f\n", 2, `f: expected 1 or 2 fields (f ID [SCHED]), got 0`},
		{"f too many", hdr + "f 1 2 3\n", 2, `f: expected 1 or 2 fields (f ID [SCHED]), got 3`},
		{"t too few", hdr + "t\n", 2, `t: expected 1 field (t NANOS), got 0`},
		{"t too many", hdr + "t 1 2\n", 2, `t: expected 1 field (t NANOS), got 2`},
		{"a bad ID", hdr + "a x B 1 1\n", 2, `bad ID "x": expected a decimal integer with 0 <= ID < 2^64`},
		{"a negative ID", hdr + "a -1 B 1 1\n", 2, `bad ID "-1": expected a decimal integer with 0 <= ID < 2^64`},
		{"a plus ID", hdr + "a +1 B 1 1\n", 2, `bad ID "+1": expected a decimal integer with 0 <= ID < 2^64`},
		{"a ID overflow", hdr + "a 18446744073709551616 B 1 1\n", 2,
			`bad ID "18446744073709551616": expected a decimal integer with 0 <= ID < 2^64`},
		{"a ID huge", hdr + "a 99999999999999999999 B 1 1\n", 2,
			`bad ID "99999999999999999999": expected a decimal integer with 0 <= ID < 2^64`},
		{"a hex ID", hdr + "a 0x10 B 1 1\n", 2, `bad ID "0x10": expected a decimal integer with 0 <= ID < 2^64`},
		{"a bad type", hdr + "a 1 foo_alloc 1 1\n", 2, `unknown allocator type "foo_alloc"`},
		{"a test_alloc", hdr + "a 1 test_alloc 1 1\n", 2, `unknown allocator type "test_alloc"`},
		{"a letter Z", hdr + "a 1 Z 1 1\n", 2, `unknown allocator type "Z"`},
		{"a lowercase letter", hdr + "a 1 b 1 1\n", 2, `unknown allocator type "b"`},
		{"a bad sched", hdr + "a 1 B x 1\n", 2, `bad SCHED "x": expected a decimal integer with 0 <= SCHED < 2^32`},
		{"a sched overflow", hdr + "a 1 B 4294967296 1\n", 2,
			`bad SCHED "4294967296": expected a decimal integer with 0 <= SCHED < 2^32`},
		{"a zero size", hdr + "a 1 B 1 0\n", 2, `bad SIZE "0": expected a decimal integer with 0 < SIZE < 2^48`},
		{"a size 2^48", hdr + "a 1 B 1 281474976710656\n", 2,
			`bad SIZE "281474976710656": expected a decimal integer with 0 < SIZE < 2^48`},
		{"a bad size", hdr + "a 1 B 1 1k\n", 2, `bad SIZE "1k": expected a decimal integer with 0 < SIZE < 2^48`},
		{"a CR inside", hdr + "a 1 B 1 1\r\r\n", 2, `bad SIZE "1\r": expected a decimal integer with 0 < SIZE < 2^48`},
		{"a first error wins", hdr + "a x y z 0\n", 2, `bad ID "x": expected a decimal integer with 0 <= ID < 2^64`},
		{"a still live", hdr + "a 7 B 1 1\na 7 B 1 1\n", 3, `a: ID 7 is still live`},
		{"a still live after realloc", hdr + "a 7 B 1 1\nr 7 5\na 7 B 1 1\n", 4, `a: ID 7 is still live`},
		{"r bad ID", hdr + "r y 1\n", 2, `bad ID "y": expected a decimal integer with 0 <= ID < 2^64`},
		{"r bad size", hdr + "a 1 B 1 1\nr 1 0\n", 3, `bad SIZE "0": expected a decimal integer with 0 < SIZE < 2^48`},
		{"r bad sched", hdr + "a 1 B 1 1\nr 1 1 -2\n", 3,
			`bad SCHED "-2": expected a decimal integer with 0 <= SCHED < 2^32`},
		{"r not live", hdr + "r 9 1\n", 2, `r: ID 9 is not live`},
		{"r after free", hdr + "a 9 B 1 1\nf 9\nr 9 1\n", 4, `r: ID 9 is not live`},
		{"f bad ID", hdr + "f z\n", 2, `bad ID "z": expected a decimal integer with 0 <= ID < 2^64`},
		{"f bad sched", hdr + "a 1 B 1 1\nf 1 s\n", 3, `bad SCHED "s": expected a decimal integer with 0 <= SCHED < 2^32`},
		{"f not live", hdr + "f 9\n", 2, `f: ID 9 is not live`},
		{"f twice", hdr + "a 9 B 1 1\nf 9\nf 9\n", 4, `f: ID 9 is not live`},
		{"t bad", hdr + "t 1.5\n", 2, `bad NANOS "1.5": expected a decimal integer with 0 <= NANOS < 2^64`},
		{"t overflow", hdr + "t 18446744073709551616\n", 2,
			`bad NANOS "18446744073709551616": expected a decimal integer with 0 <= NANOS < 2^64`},
		{"t backwards", hdr + "t 10\n# c\nt 5\n", 4, `t: time 5 goes backwards (previous 10)`},
		{"directive without key", hdr + "@\n", 2, `@: expected a directive name after "@" (@ KEY VALUE...)`},
		{"directive blank key", hdr + "  @ \t \r\n", 2, `@: expected a directive name after "@" (@ KEY VALUE...)`},
		{"NUL in record", hdr + "t 1\x00\n", 2, `NUL byte in line`},
		{"NUL in comment", hdr + "# \x00\n", 2, `NUL byte in line`},
		{"NUL in directive", hdr + "@ k \x00\n", 2, `NUL byte in line`},
		{"line too long", hdr + "#" + strings.Repeat("x", MaxLineLen) + "\n", 2, `line too long (more than 65536 bytes)`},
		{"line too long at EOF", hdr + "#" + strings.Repeat("x", MaxLineLen), 2, `line too long (more than 65536 bytes)`},
		{"line too long CR", hdr + "#" + strings.Repeat("x", MaxLineLen) + "\r\n", 2, `line too long (more than 65536 bytes)`},
		{"line much too long", hdr + strings.Repeat("x", 3*MaxLineLen) + "\nt 1\n", 2, `line too long (more than 65536 bytes)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, rd := readAll(t, tc.in, false)
			var se *SyntaxError
			if !errors.As(rd.Err(), &se) {
				t.Fatalf("Err() = %v (%T), want a *SyntaxError", rd.Err(), rd.Err())
			}
			want := &SyntaxError{File: "x.trace", Line: tc.line, Msg: tc.msg}
			if *se != *want {
				t.Errorf("got  %q\nwant %q", se.Error(), want.Error())
			}
			if rd.Scan() {
				t.Errorf("Scan after an error returned true")
			}
		})
	}
}

func TestSyntaxErrorString(t *testing.T) {
	e := &SyntaxError{File: "a/b.trace", Line: 12, Msg: "f: ID 9 is not live"}
	if got, want := e.Error(), "a/b.trace:12: f: ID 9 is not live"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// The letter table and ParseType agree, and the fast name table is exactly
// what ParseType accepts among the type names.
func TestParseTypeMatchesAllocator(t *testing.T) {
	for i := 0; i < 256; i++ {
		for _, s := range []string{allocator.Type(i).String(), string(rune(i)), string([]byte{byte(i)})} {
			want, wok := allocator.ParseType(s)
			got, gok := parseType([]byte(s))
			if got != want || gok != wok {
				t.Errorf("parseType(%q) = %v, %v; allocator.ParseType: %v, %v", s, got, gok, want, wok)
			}
		}
	}
}

func TestReaderLenient(t *testing.T) {
	in := hdr +
		"a 1 B 1 10\n" + // 2 ok
		"a 1 B 1 10\n" + // 3 still live
		"x\n" + // 4 unknown
		"f 2\n" + // 5 not live
		"@\n" + // 6 no key
		"t 10\n" + // 7 ok
		"t 5\n" + // 8 backwards: not taken
		"t 10\n" + // 9 ok
		"#" + strings.Repeat("y", MaxLineLen+10) + "\n" + // 10 too long
		"a 2 B 1 0\n" + // 11 bad size: 2 stays not live
		"f 2\n" + // 12 not live
		"f 1\n" + // 13 ok
		"r 1 5\n" + // 14 not live
		"t 1\x00\n" + // 15 NUL
		"@ end\n" // 16 ok
	ops, rd := readAll(t, in, true)
	if err := rd.Err(); err != nil {
		t.Fatalf("lenient: unexpected error %v", err)
	}
	want := []Op{
		{Kind: Alloc, ID: 1, Type: allocator.Binary, Sched: 1, Size: 10, Line: 2},
		{Kind: Time, Nanos: 10, Line: 7},
		{Kind: Time, Nanos: 10, Line: 9},
		{Kind: Free, ID: 1, Line: 13},
		{Kind: Directive, Key: "end", Line: 16},
	}
	if !reflect.DeepEqual(ops, want) {
		t.Errorf("ops:\n got %+v\nwant %+v", ops, want)
	}
	if rd.Skipped() != 10 {
		t.Errorf("Skipped() = %d, want 10", rd.Skipped())
	}
	if rd.Records() != 4 {
		t.Errorf("Records() = %d, want 4", rd.Records())
	}
	want1 := "x.trace:3: a: ID 1 is still live"
	if e := rd.FirstSkipped(); e == nil || e.Error() != want1 {
		t.Errorf("FirstSkipped() = %v, want %s", e, want1)
	}

	// Not lenient: the same input stops at line 3.
	_, rd = readAll(t, in, false)
	if rd.Err() == nil || rd.Err().Error() != want1 || rd.Skipped() != 0 || rd.FirstSkipped() != nil {
		t.Errorf("strict: Err() = %v, Skipped() = %d, FirstSkipped() = %v", rd.Err(), rd.Skipped(), rd.FirstSkipped())
	}

	// A bad first line is fatal even when lenient; so is an empty input.
	for _, in := range []string{"", "alloclab-trace 2\nt 1\n", strings.Repeat("z", 200000) + "\nt 1\n"} {
		ops, rd := readAll(t, in, true)
		var se *SyntaxError
		if !errors.As(rd.Err(), &se) || se.Line != 1 || len(ops) != 0 || rd.Skipped() != 0 {
			t.Errorf("lenient %.20q: ops %v, Err() = %v, Skipped() = %d", in, ops, rd.Err(), rd.Skipped())
		}
	}

	// A too-long last line without a line end.
	ops, rd = readAll(t, hdr+"t 1\n#"+strings.Repeat("q", 5*MaxLineLen), true)
	if rd.Err() != nil || len(ops) != 1 || rd.Skipped() != 1 {
		t.Errorf("too-long last line: ops %v, Err() = %v, Skipped() = %d", ops, rd.Err(), rd.Skipped())
	}
}

// liveSet is a LiveSet the test maintains itself.
type liveSet map[uint64]bool

func (s liveSet) Live(id uint64) bool { return s[id] }

func TestReaderLiveSet(t *testing.T) {
	in := hdr + "a 1 B 1 10\na 1 B 1 10\nf 1\nf 1\nr 1 4\n"
	// The caller never applies the ops: the reader must only ask the set,
	// so the second "a 1" passes and "f 1" fails.
	rd := NewReader(strings.NewReader(in), "s")
	set := liveSet{}
	rd.SetLiveSet(set)
	var ops []Op
	for rd.Scan() {
		ops = append(ops, rd.Op())
	}
	if len(ops) != 2 || rd.Err() == nil || rd.Err().Error() != "s:4: f: ID 1 is not live" {
		t.Fatalf("unapplied set: ops %v, Err() = %v", ops, rd.Err())
	}

	// Applied by the caller: behaves like the reader's own tracking.
	rd = NewReader(strings.NewReader(in), "s")
	set = liveSet{}
	rd.SetLiveSet(set)
	for rd.Scan() {
		op := rd.Op()
		switch op.Kind {
		case Alloc:
			set[op.ID] = true
		case Free:
			delete(set, op.ID)
		}
	}
	if rd.Err() == nil || rd.Err().Error() != "s:3: a: ID 1 is still live" {
		t.Fatalf("applied set: Err() = %v", rd.Err())
	}
}

// errReader returns its data, then err.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReaderIOError(t *testing.T) {
	boom := errors.New("boom")
	for _, lenient := range []bool{false, true} {
		rd := NewReader(&errReader{data: []byte(hdr + "t 1\nt 2\nt 3"), err: boom}, "io.trace")
		rd.SetLenient(lenient)
		n := 0
		for rd.Scan() {
			n++
		}
		err := rd.Err()
		if n != 2 || !errors.Is(err, boom) || err.Error() != "io.trace:4: read error: boom" {
			t.Errorf("lenient=%v: %d ops, Err() = %v", lenient, n, err)
		}
		var se *SyntaxError
		if errors.As(err, &se) {
			t.Errorf("an I/O error is not a *SyntaxError")
		}
	}
}

// genReader yields a first line, then n bytes of 'x' with no line end, and
// counts what it has handed out.
type genReader struct {
	head   []byte
	left   int
	served int
}

func (g *genReader) Read(p []byte) (int, error) {
	if len(g.head) > 0 {
		n := copy(p, g.head)
		g.head = g.head[n:]
		g.served += n
		return n, nil
	}
	if g.left == 0 {
		return 0, io.EOF
	}
	n := min(len(p), g.left)
	for i := range p[:n] {
		p[i] = 'x'
	}
	g.left -= n
	g.served += n
	return n, nil
}

func TestReaderHugeLine(t *testing.T) {
	const huge = 10_000_000
	g := &genReader{head: []byte(hdr + "t 1\n"), left: huge}
	rd := NewReader(g, "huge")
	n := 0
	for rd.Scan() {
		n++
	}
	want := "huge:3: line too long (more than 65536 bytes)"
	if n != 1 || rd.Err() == nil || rd.Err().Error() != want {
		t.Fatalf("%d ops, Err() = %v; want %s", n, rd.Err(), want)
	}
	if g.served > 4*MaxLineLen {
		t.Errorf("reader consumed %d bytes of a %d-byte line before giving up", g.served, huge)
	}

	// Lenient: the line is skipped (read through, but not kept).
	g = &genReader{head: []byte(hdr + "#"), left: huge}
	rd = NewReader(io.MultiReader(g, strings.NewReader("\nt 7\n")), "huge")
	rd.SetLenient(true)
	var ops []Op
	for rd.Scan() {
		ops = append(ops, rd.Op())
	}
	if rd.Err() != nil || rd.Skipped() != 1 || len(ops) != 1 || ops[0] != (Op{Kind: Time, Nanos: 7, Line: 3}) {
		t.Errorf("lenient: ops %v, Err() = %v, Skipped() = %d", ops, rd.Err(), rd.Skipped())
	}
}

// loopReader repeats data forever.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], l.data[l.off:])
		n += c
		l.off = (l.off + c) % len(l.data)
	}
	return n, nil
}

func TestReaderNoAllocs(t *testing.T) {
	body := "a 1 binary_alloc 1 100\nr 1 200 2\na 2 B 0 8\n# comment\n\nt 5\nf 1\nf 2 1\n"
	rd := NewReader(io.MultiReader(strings.NewReader(hdr), &loopReader{data: []byte(body)}), "loop")
	for range 1000 {
		if !rd.Scan() {
			t.Fatal(rd.Err())
		}
	}
	allocs := testing.AllocsPerRun(10000, func() {
		if !rd.Scan() {
			t.Fatal(rd.Err())
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per record, want 0", allocs)
	}
}

func TestWriterFormat(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	ops := []Op{
		{Kind: Directive, Key: "schedulers", Value: "2"},
		{Kind: Directive, Key: "empty"},
		{Kind: Alloc, ID: 1, Type: allocator.Binary, Sched: 1, Size: 1000, Line: 99},
		{Kind: Alloc, ID: 18446744073709551615, Type: allocator.Temp, Sched: 4294967295, Size: MaxSize - 1},
		{Kind: Realloc, ID: 1, Size: 5, Sched: 7},
		{Kind: Realloc, ID: 1, Size: 6, Sched: 0, HasSched: true},
		{Kind: Free, ID: 1, Sched: 3},
		{Kind: Free, ID: 2, Sched: 3, HasSched: true},
		{Kind: Time, Nanos: 123},
	}
	for _, op := range ops {
		if err := w.Write(op); err != nil {
			t.Fatalf("Write(%+v): %v", op, err)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("Writer is not buffered")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "alloclab-trace 1\n@ schedulers 2\n@ empty\na 1 binary_alloc 1 1000\n" +
		"a 18446744073709551615 temp_alloc 4294967295 281474976710655\nr 1 5\nr 1 6 0\nf 1\nf 2 3\nt 123\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestWriterRefuses(t *testing.T) {
	bad := []Op{
		{},
		{Kind: 'x'},
		{Kind: Alloc, ID: 1, Size: 1},
		{Kind: Alloc, ID: 1, Type: allocator.Test, Size: 1},
		{Kind: Alloc, ID: 1, Type: 200, Size: 1},
		{Kind: Alloc, ID: 1, Type: allocator.Binary, Size: 0},
		{Kind: Alloc, ID: 1, Type: allocator.Binary, Size: MaxSize},
		{Kind: Realloc, ID: 1, Size: 0},
		{Kind: Realloc, ID: 1, Size: MaxSize},
		{Kind: Directive},
		{Kind: Directive, Key: "a b"},
		{Kind: Directive, Key: "a\tb"},
		{Kind: Directive, Key: "a\n"},
		{Kind: Directive, Key: "a\r"},
		{Kind: Directive, Key: "k", Value: " v"},
		{Kind: Directive, Key: "k", Value: "v\t"},
		{Kind: Directive, Key: "k", Value: "v\r"},
		{Kind: Directive, Key: "k", Value: "v\nw"},
		{Kind: Directive, Key: "k", Value: "v\x00"},
		{Kind: Directive, Key: "k", Value: strings.Repeat("v", MaxLineLen)},
	}
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, op := range bad {
		if err := w.Write(op); !errors.Is(err, ErrBadOp) {
			t.Errorf("Write(%+v) = %v, want an ErrBadOp error", op, err)
		}
	}
	// Refused ops leave no trace, and the writer goes on.
	if err := w.Write(Op{Kind: Directive, Key: "a\r", Value: "v"}); err != nil {
		t.Errorf("Write: %v", err)
	}
	if err := w.Flush(); err != nil || buf.String() != hdr+"@ a\r v\n" {
		t.Errorf("Flush() = %v, output %q", err, buf.String())
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	f.n++
	return 0, errors.New("disk full")
}

func TestWriterStickyError(t *testing.T) {
	fw := &failWriter{}
	w := NewWriter(fw)
	if err := w.Flush(); err == nil {
		t.Fatal("Flush: no error")
	}
	if err := w.Write(Op{Kind: Time}); err == nil || err.Error() != "disk full" {
		t.Errorf("Write after a failed Flush = %v", err)
	}
	if err := w.Flush(); err == nil || fw.n != 1 {
		t.Errorf("Flush again = %v after %d writes", err, fw.n)
	}
}

// roundTrip writes ops and reads them back.
func roundTrip(t testing.TB, ops []Op) []Op {
	t.Helper()
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, op := range ops {
		if err := w.Write(op); err != nil {
			t.Fatalf("Write(%+v): %v", op, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	back, rd := readAll(t, buf.String(), false)
	if err := rd.Err(); err != nil {
		t.Fatalf("reading back: %v\n%s", err, buf.String())
	}
	return back
}

// sameOps compares ops ignoring line numbers.
func sameOps(a, b []Op) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		x.Line, y.Line = 0, 0
		if x != y {
			return false
		}
	}
	return true
}

func exampleTraces(t testing.TB) map[string][]byte {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*.trace"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no example traces in testdata: %v", err)
	}
	m := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(p)] = b
	}
	return m
}

func TestRoundTripExamples(t *testing.T) {
	for name, data := range exampleTraces(t) {
		t.Run(name, func(t *testing.T) {
			ops, rd := readAll(t, string(data), false)
			if rd.Err() != nil {
				t.Fatal(rd.Err())
			}
			if len(ops) == 0 || rd.Records() == 0 {
				t.Fatalf("no records")
			}
			if back := roundTrip(t, ops); !sameOps(ops, back) {
				t.Errorf("round trip differs:\n got %v\nwant %v", back, ops)
			}
		})
	}
}

func TestRoundTripRandom(t *testing.T) {
	data := genTrace(20000, 7)
	ops, rd := readAll(t, string(data), false)
	if rd.Err() != nil {
		t.Fatal(rd.Err())
	}
	if back := roundTrip(t, ops); !sameOps(ops, back) {
		t.Errorf("round trip differs")
	}
	// The canonical form is a fixed point: writing again gives the same bytes.
	var b1, b2 bytes.Buffer
	for _, b := range []*bytes.Buffer{&b1, &b2} {
		w := NewWriter(b)
		for _, op := range ops {
			w.Write(op)
		}
		w.Flush()
		ops, _ = readAll(t, b.String(), false)
	}
	if b1.String() != b2.String() {
		t.Errorf("canonical output is not stable")
	}
}

func TestOpen(t *testing.T) {
	p := filepath.Join(t.TempDir(), "o.trace")
	if err := os.WriteFile(p, []byte(hdr+"t 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rc, name, err := Open(p)
	if err != nil || name != p {
		t.Fatalf("Open = %v, %q", err, name)
	}
	ops, err := io.ReadAll(rc)
	if err != nil || string(ops) != hdr+"t 1\n" {
		t.Errorf("read %q, %v", ops, err)
	}
	rc.Close()

	if _, _, err := Open(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v", err)
	}
	rc, name, err = Open("-")
	if err != nil || name != "<stdin>" || rc == nil {
		t.Fatalf("Open(-) = %v, %q, %v", rc, name, err)
	}
	rc.Close() // must not close os.Stdin
	if _, err := os.Stdin.Stat(); err != nil {
		t.Errorf("stdin closed: %v", err)
	}
}

// genTrace generates a valid trace of n lines (after the first): mostly
// a/f/r with a bounded live set, some t, comments and directives.
func genTrace(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	types := []string{"binary_alloc", "eheap_alloc", "ets_alloc", "B", "H", "std_alloc", "fix_alloc"}
	var buf bytes.Buffer
	buf.Grow(n * 20)
	buf.WriteString(hdr)
	buf.WriteString("@ schedulers 8\n@ source generated by genTrace\n")
	live := make([]uint64, 0, 4096)
	var next uint64 = 1
	var now uint64
	for i := 2; i < n; i++ {
		switch x := rng.IntN(100); {
		case x < 2:
			now += uint64(rng.IntN(100000))
			fmt.Fprintf(&buf, "t %d\n", now)
		case x < 3:
			buf.WriteString("# a comment line\n")
		case x < 45 && len(live) < 4096 || len(live) == 0:
			id := next
			next++
			live = append(live, id)
			fmt.Fprintf(&buf, "a %d %s %d %d\n", id, types[rng.IntN(len(types))], rng.IntN(9), 1+rng.IntN(1<<uint(4+rng.IntN(16))))
		case x < 60:
			id := live[rng.IntN(len(live))]
			if rng.IntN(2) == 0 {
				fmt.Fprintf(&buf, "r %d %d\n", id, 1+rng.IntN(100000))
			} else {
				fmt.Fprintf(&buf, "r %d %d %d\n", id, 1+rng.IntN(100000), rng.IntN(9))
			}
		default:
			j := rng.IntN(len(live))
			id := live[j]
			live[j] = live[len(live)-1]
			live = live[:len(live)-1]
			if rng.IntN(2) == 0 {
				fmt.Fprintf(&buf, "f %d\n", id)
			} else {
				fmt.Fprintf(&buf, "f %d %d\n", id, rng.IntN(9))
			}
		}
	}
	return buf.Bytes()
}

// trackSet is a LiveSet applied by the benchmark loop, as a replayer would.
type trackSet struct{ idSet }

func (s *trackSet) Live(id uint64) bool { return s.has(id) }

// BenchmarkReader reads a generated 1M-line trace; one op is one line, so
// ns/op is ns/line and allocs/op is allocations per line (a new Reader per
// pass over the trace included). "own" lets the reader track liveness;
// "liveset" hands it a LiveSet that the loop maintains, as a replayer does
// (an interface call per record, and the set's own cost).
func BenchmarkReader(b *testing.B) {
	const lines = 1_000_000
	data := genTrace(lines, 1)
	for _, mode := range []string{"own", "liveset"} {
		b.Run(mode, func(b *testing.B) {
			b.SetBytes(int64(len(data)) / lines)
			b.ReportAllocs()
			var rd *Reader
			var set *trackSet
			start := func() {
				rd = NewReader(bytes.NewReader(data), "bench")
				if mode == "liveset" {
					set = &trackSet{}
					rd.SetLiveSet(set)
				}
			}
			start()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if !rd.Scan() {
					if rd.Err() != nil {
						b.Fatal(rd.Err())
					}
					start()
					i--
					continue
				}
				if set != nil {
					op := rd.Op()
					switch op.Kind {
					case Alloc:
						set.add(op.ID)
					case Free:
						set.remove(op.ID)
					}
				}
			}
		})
	}
}

// zeroReader returns (0, nil) forever.
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

// The result does not depend on how the source splits its data.
func TestReaderChunking(t *testing.T) {
	inputs := []string{
		string(genTrace(5000, 3)),
		hdr + "t 1\n#" + strings.Repeat("x", MaxLineLen-1) + "\r\nt 2\n#" + strings.Repeat("y", MaxLineLen) + "\nt 3",
		hdr + "t 1\r\n\r\nt 2",
		hdr + "a 1 B 1 5\n" + strings.Repeat("#"+strings.Repeat("z", 30000)+"\n", 20) + "f 1\r",
	}
	for _, d := range exampleTraces(t) {
		inputs = append(inputs, string(d))
	}
	wrappers := map[string]func(io.Reader) io.Reader{
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+err": iotest.DataErrReader,
	}
	for i, in := range inputs {
		for _, lenient := range []bool{false, true} {
			want, rd := readAll(t, in, lenient)
			wantErr, wantSkipped := fmt.Sprint(rd.Err()), rd.Skipped()
			for name, wrap := range wrappers {
				rd := NewReader(wrap(strings.NewReader(in)), "x.trace")
				rd.SetLenient(lenient)
				var got []Op
				for rd.Scan() {
					got = append(got, rd.Op())
				}
				if !reflect.DeepEqual(got, want) || fmt.Sprint(rd.Err()) != wantErr || rd.Skipped() != wantSkipped {
					t.Errorf("input %d, %s, lenient=%v: %d ops, %v, %d skipped; want %d ops, %v, %d skipped",
						i, name, lenient, len(got), rd.Err(), rd.Skipped(), len(want), wantErr, wantSkipped)
				}
			}
		}
	}

	rd := NewReader(io.MultiReader(strings.NewReader(hdr+"t 1\n"), zeroReader{}), "z")
	n := 0
	for rd.Scan() {
		n++
	}
	if n != 1 || !errors.Is(rd.Err(), io.ErrNoProgress) {
		t.Errorf("a source that returns nothing: %d ops, Err() = %v", n, rd.Err())
	}
}

// BenchmarkWriter writes the ops of a generated trace; one op is one line.
func BenchmarkWriter(b *testing.B) {
	ops, rd := readAll(b, string(genTrace(100_000, 2)), false)
	if rd.Err() != nil {
		b.Fatal(rd.Err())
	}
	w := NewWriter(io.Discard)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := w.Write(ops[i%len(ops)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
}
