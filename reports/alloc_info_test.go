package reports

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestReadTerms(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"a.", "a"},
		{"'B'.", "'B'"},
		{"'hello world'.", "'hello world'"},
		{"'it''s'.", ""}, // two quoted atoms in a row: an error, below
		{"{a,'@',\"all memory\"}.", "{a,'@',[97,108,108,32,109,101,109,111,114,121]}"},
		{"[1, -2, 16#ff, 2#101, $a, $\\n, 1_000].", "[1,-2,255,5,97,10,1000]"},
		{"18446744073709551615.", "18446744073709551615"},
		{"123456789012345678901234567890.", "123456789012345678901234567890"},
		{"[0.5, 1.0e3, 2.5E-3, -0.0, 1.0e+2].", "[0.5,1.0e3,0.0025,-0.0,100.0]"},
		{"\"a\\\"b\\x41\\x{42}\\101\\^A\" \"cd\".", "[97,34,98,65,66,65,1,99,100]"},
		{"% comment\n{x, % trailing\n [ ]}. % after", "{x,[]}"},
		{"{}.", "{}"},
		{"''.", "''"},
		{"'and'.", "'and'"},
	} {
		ts, err := ReadTerms("t", []byte(c.src))
		if c.want == "" {
			if err == nil {
				t.Errorf("%q: no error", c.src)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.src, err)
			continue
		}
		if len(ts) != 1 || WriteTerm(ts[0]) != c.want {
			t.Errorf("%q = %v, want %s", c.src, ts, c.want)
		}
	}
	ts, err := ReadTerms("t", []byte("a. b.\n{c}.\n"))
	if err != nil || len(ts) != 3 {
		t.Errorf("three terms: %v %v", ts, err)
	}
}

// TestReadTermErrors: every malformed input is an error naming the file,
// the line and what was expected.
func TestReadTermErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"", "f:1: expected exactly one term"},
		{"{a,b}", "f:1: expected '.' after the term, found end of file"},
		{"{a,\n b", "f:2: expected ',' or '}', found end of file"},
		{"{a,\n\n b]}.", "f:3: expected ',' or '}', found ']'"},
		{"[a|b].", "f:1: expected ',' or ']', found '|' (improper lists"},
		{"\n\nFoo.", "f:3: expected a term, found a variable (Foo)"},
		{"<0.1.0>.", "f:1: expected a term, found '<'"},
		{"#{}.", "f:1: expected a term, found '#'"},
		{"\"abc.", "f:1: expected the closing \" of the string"},
		{"'abc.", "f:1: expected the closing ' of the quoted atom"},
		{"1.5e.", "f:1: expected the exponent's digits after 1.5e"},
		{"1.0e999.", "f:1: expected a float, found 1.0e999 (out of range)"},
		{"99#1.", "f:1: expected a base between 2 and 36"},
		{"a.b.", "f:1: expected white space after '.'"},
		{"{a,}.", "f:1: expected a term, found '}'"},
		{"a. b.", "f:1: expected exactly one term ended by '.', found 2"},
		{"- x.", "f:1: expected a number after the sign"},
		{"\"\\x{zz}\".", "f:1: expected hexadecimal digits"},
		{strings.Repeat("[", 2000), "terms nested deeper than 1000"},
	} {
		_, err := ReadTerm("f", []byte(c.src))
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.40q: error %v, want %q", c.src, err, c.want)
		}
	}
}

func TestQuoteAtomAndFloat(t *testing.T) {
	for a, want := range map[string]string{
		"binary_alloc": "binary_alloc", "B": "'B'", "@": "'@'", "a@b_C1": "a@b_C1",
		"1a": "'1a'", "": "''", "it's": `'it\'s'`, "tab\t": `'tab\t'`, "or": "'or'",
	} {
		if got := QuoteAtom(a); got != want {
			t.Errorf("QuoteAtom(%q) = %s, want %s", a, got, want)
		}
	}
	for f, want := range map[float64]string{
		1: "1.0", 0.5: "0.5", 1000: "1.0e3", 100: "100.0", 2071.04: "2071.04", 21908: "21908.0",
		0.0001: "0.0001", 0.00001: "1.0e-5", 1234567890123456: "1234567890123456.0",
		9007199254740992: "9.007199254740992e15", 0.7176294282834101: "0.7176294282834101", -2.5: "-2.5",
	} {
		if got := FormatFloat(f); got != want {
			t.Errorf("FormatFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestCompareTerms(t *testing.T) {
	ordered := []Term{
		IntFrom(-1), Float(-0.5), IntFrom(0), Float(0.5), IntFrom(1), Float(1e30),
		Atom("a"), Atom("b"), Atom("infinity"),
		Tup(), Tup(IntFrom(9)), Tup(Atom("a"), IntFrom(1)), Tup(Atom("a"), IntFrom(2)), Tup(Atom("b"), IntFrom(0)),
		Lst(), Lst(IntFrom(1)), String("a"), Lst(IntFrom(97), IntFrom(0)), String("b"),
	}
	for i := range ordered {
		for j := range ordered {
			want := cmpInt(i, j)
			if got := CompareTerms(ordered[i], ordered[j]); got != want {
				t.Errorf("compare %s %s = %d, want %d", WriteTerm(ordered[i]), WriteTerm(ordered[j]), got, want)
			}
		}
	}
	if CompareTerms(IntFrom(0), Float(0)) != 0 || EqualTerms(IntFrom(0), Float(0)) {
		t.Errorf("0 == 0.0 but 0 =/= 0.0")
	}
	if !EqualTerms(String("ab"), Lst(IntFrom(97), IntFrom(98))) {
		t.Errorf("\"ab\" =:= [97,98]")
	}
	// Beyond 2^53 integers compare exactly with floats.
	if CompareTerms(IntFrom(uint64(1<<53+1)), Float(1<<53)) != 1 {
		t.Errorf("2^53+1 > 2^53 as float")
	}
}

// TestSnapshotErrors: malformed snapshots name the line and what was
// expected.
func TestSnapshotErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/recon/appendix_a.snapshot")
	if err != nil {
		t.Fatal(err)
	}
	src := elide(string(good))
	for _, c := range []struct{ old, new, want string }{
		{"{carriers,7,7,7}", "{carriers,7,7}", "expected a 4-tuple {Key, N, N, N}, found {carriers,7,7}"},
		{"{blocks_size,10210400,10210400,10211016}", "{blocks_size,10210401,10210400,10211016}", "blocks_size {10210401 10210400 10211016} is not the sum of its raw_blocks"},
		{"{carriers_size,0},\n", "{carriers_size,-1},\n", "expected a non-negative integer below 2^64 for carriers_size, found -1"},
		{"{cache_hits,3}", "{cache_hits,three}", "expected a non-negative integer below 2^64 for cache_hits, found three"},
		{"{total,24527424}", "{total,2.5}", "expected a non-negative integer below 2^64 for total"},
		{"{{sys_alloc,0},", "{{sys_alloc,x},", "expected an instance number, found x"},
		{"{count,5020,5020,5023}", "{cnt,5020,5020,5023}", "expected count or size for binary_alloc in mbcs, found cnt"},
	} {
		if !strings.Contains(src, c.old) {
			t.Fatalf("fixture lacks %q", c.old)
		}
		bad := strings.Replace(src, c.old, c.new, 1)
		line := strings.Count(src[:strings.Index(src, c.old)], "\n") + 1
		_, err := ParseSnapshot("a.snapshot", []byte(bad))
		var se *SyntaxError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.new, err, c.want)
			continue
		}
		// The error points at the offending tuple or its enclosing list.
		if se.Line > line || se.Line < line-15 {
			t.Errorf("%s: error at line %d, the change is at line %d", c.new, se.Line, line)
		}
	}
	for _, c := range []struct{ src, want string }{
		{"undefined.", "expected {MemoryList, AllocList}, found undefined"},
		{"{[], [x]}.", "expected {{Allocator, Instance}, Props}, found x"},
		{"{[], [{{binary_alloc,0}, [{mbcs,[{carriers,0,0,0},{carriers_size,0,0,0}]}]}]}.", "expected {blocks, ...} and {blocks_size, ...} or {raw_blocks, [...]} in mbcs of binary_alloc"},
	} {
		_, err := ParseSnapshot("s", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.src, err, c.want)
		}
	}
}

// TestOlderForms: the raw OTP 23+ block lists of a hand-made dump and the
// OTP ≤ 22 totals without per-type lists read into the same model.
func TestOlderForms(t *testing.T) {
	raw := `{[{total,1}], [{binary_alloc, [{instance,1,[{versions,"0.9","3.0"},
	  {mbcs,[{blocks,[{binary_alloc,[{count,2,2,3},{size,96,96,144}]},{ets_alloc,[{count,1,1,1},{size,40,40,40}]}]},
	         {carriers,1,1,1},{mseg_alloc_carriers,0},{sys_alloc_carriers,1},
	         {carriers_size,65536,65536,65536},{mseg_alloc_carriers_size,0},{sys_alloc_carriers_size,65536}]},
	  {mbcs_pool,[{blocks,[{binary_alloc,[{count,1},{size,48}]}]},{carriers,1},{carriers_size,32768},{fetch,0,2}]},
	  {sbcs,[{blocks,[]},{carriers,0,0,0},{mseg_alloc_carriers,0},{sys_alloc_carriers,0},
	         {carriers_size,0,0,0},{mseg_alloc_carriers_size,0},{sys_alloc_carriers_size,0}]},
	  {calls,[{binary_alloc,0,7}]}]}]}, {sys_alloc,[{e,true}]}, {mseg_alloc, false}]}.`
	s, err := ParseSnapshot("raw", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Instances) != 1 {
		t.Fatalf("instances: %+v", s.Instances)
	}
	in := s.Instances[0]
	if in.Allocator != "binary_alloc" || in.Instance != 1 || len(in.MBCS.Blocks) != 2 || in.Pool.CarriersSize != 32768 ||
		len(in.Pool.Counters) != 1 || in.Pool.Counters[0] != (CallCount{"fetch", 0, 2}) {
		t.Errorf("parsed %+v", in)
	}
	r := &Recon{Snapshot: s}
	if u, _ := r.MemoryUsed(Current); u.String() != "184" { // 96 + 40 + 48
		t.Errorf("used = %s", u)
	}
	// Written in recon's form (sorted keys, summed blocks, no versions).
	props := WriteTerm(List{Elems: in.Props()})
	want := "[{calls,[{binary_alloc,0,7}]},{mbcs,[{blocks,3,3,4},{blocks_size,136,136,184},{foreign_blocks,[{ets_alloc,"
	if !strings.HasPrefix(props, want) || !strings.Contains(props, "{mbcs_pool,[{blocks,1},{blocks_size,48},{foreign_blocks,[]},{raw_blocks,[{binary_alloc,[{count,1},{size,48}]}]},{carriers,1},{carriers_size,32768},{fetch,0,2}]}") {
		t.Errorf("props = %s", props)
	}

	old := `{[], [{{eheap_alloc,0}, [{mbcs,[{blocks,3,4,5},{blocks_size,300,400,500},{carriers,1,1,1},
	   {carriers_size,4096,4096,4096}]}, {sbcs,[{blocks,0,0,0},{blocks_size,0,0,0},{carriers,0,0,0},{carriers_size,0,0,0}]}]}]}.`
	s, err = ParseSnapshot("old", []byte(old))
	if err != nil {
		t.Fatal(err)
	}
	if b := s.Instances[0].MBCS.Blocks; len(b) != 1 || b[0] != (BlockStats{"eheap_alloc", Triple{3, 4, 5}, Triple{300, 400, 500}}) {
		t.Errorf("blocks = %+v", b)
	}
	if b := s.Instances[0].SBCS.Blocks; len(b) != 0 {
		t.Errorf("sbcs blocks = %+v", b)
	}
}

// fuzzSeeds are inputs for both fuzz targets: the fixtures and small
// terms of every kind.
func fuzzSeeds(f *testing.F) {
	for _, name := range []string{"appendix_b.fragmentation_current", "otp25_raw_dump.terms"} {
		b, err := os.ReadFile("testdata/recon/" + name)
		if err != nil {
			f.Fatal(err)
		}
		if !strings.HasSuffix(strings.TrimSpace(string(b)), ".") {
			b = append(b, ".\n"...)
		}
		f.Add(b)
	}
	a, err := os.ReadFile("testdata/recon/appendix_a.snapshot")
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(elide(string(a))))
	for _, s := range []string{
		"a.", "'B'.", "{a,[1,2.5,\"s\"]}.", "[$a, 16#1F, -3, 1.0e-5].", "'\\x{100}\\n'.",
		"{[], []}.", "\"\\^A\\e\\d\".", "[[[[]]]].", "{x,\n%c\n y}. {z}.",
		"'\xea'.", "straße.",
	} {
		f.Add([]byte(s))
	}
}

// FuzzReadTerm: the reader never panics, and every term it reads prints
// (as ~w and as ~p) to text that reads back as the same term.
func FuzzReadTerm(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		ts, err := ReadTerms("fuzz", src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, tm := range ts {
			for _, text := range []string{WriteTerm(tm), PrettyTerm(tm, 1)} {
				back, err := ReadTerm("again", []byte(text+".\n"))
				if err != nil {
					t.Fatalf("%s does not read back: %v", text, err)
				}
				if !EqualTerms(tm, back) {
					t.Fatalf("%s reads back as %s", WriteTerm(tm), WriteTerm(back))
				}
			}
		}
	})
}

// FuzzParseSnapshot: a snapshot that parses writes back to a file that
// parses to the same snapshot, and recon's analyses never panic on it.
func FuzzParseSnapshot(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := ParseSnapshot("fuzz", src)
		if err != nil {
			return
		}
		var b strings.Builder
		if err := WriteSnapshot(&b, s); err != nil {
			t.Fatal(err)
		}
		s2, err := ParseSnapshot("written", []byte(b.String()))
		if err != nil {
			t.Fatalf("written snapshot does not parse: %v\n%s", err, b.String())
		}
		if !EqualTerms(s.Term(), s2.Term()) {
			t.Fatalf("round trip changed the snapshot")
		}
		for _, u := range []Unit{Byte, Megabyte} {
			r := &Recon{Snapshot: s, Unit: u}
			for _, kw := range []Keyword{Current, Max} {
				for _, k := range []string{"used", "allocated", "unused", "usage", "allocated_types", "allocated_instances"} {
					_, _ = r.Memory(k, kw)
				}
				_, _ = r.Fragmentation(kw)
				_, _ = r.AverageBlockSizes(kw)
				_, _ = r.SbcsToMbcs(kw)
			}
			_, _ = r.CacheHitRates()
		}
	})
}
