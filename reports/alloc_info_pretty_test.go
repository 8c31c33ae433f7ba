package reports

import (
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// randomTerm builds a term of the kinds allocator statistics hold, with
// names, numbers and nesting in the proportions that make ~p break lines
// in every way (tagged tuples with short and long tags, lists of atomic
// and of composite elements, terms just under and over the line length).
func randomTerm(r *rand.Rand, depth int) Term {
	atoms := []string{"a", "mbcs", "sbcs", "blocks", "carriers_size", "binary_alloc",
		"mseg_alloc_carriers_size", "entrance_removed", "e", "B", "@", "true",
		"skip_not_pooled", "x", "supercarrier", "fail_pend_dealloc"}
	k := r.IntN(10)
	if depth > 4 {
		k = r.IntN(4)
	}
	switch k {
	case 0:
		return Atom(atoms[r.IntN(len(atoms))])
	case 1:
		switch r.IntN(4) {
		case 0:
			return IntFrom(r.IntN(10))
		case 1:
			return IntFrom(r.Uint64())
		case 2:
			return IntFrom(-r.Int64N(1 << 40))
		}
		return IntFrom(r.Int64N(100000000))
	case 2:
		switch r.IntN(4) {
		case 0:
			return Float(float64(r.IntN(1000)) / 1000)
		case 1:
			return Float(r.Float64() * math.Pow(10, float64(r.IntN(40)-20)))
		case 2:
			return Float(float64(r.IntN(100000)))
		}
		return Float(r.Float64())
	case 3:
		words := []string{"all memory", "0.9", "a\"b", "tab\there", "x"}
		return String(words[r.IntN(len(words))])
	case 4, 5, 6:
		// Tagged tuple, like {carriers,7,7,7} or {mbcs,[...]}.
		n := 1 + r.IntN(3)
		elems := []Term{Atom(atoms[r.IntN(len(atoms))])}
		for range n {
			elems = append(elems, randomTerm(r, depth+1))
		}
		return Tuple{Elems: elems}
	case 7:
		n := r.IntN(4)
		elems := []Term{}
		for range n {
			elems = append(elems, randomTerm(r, depth+1))
		}
		return Tuple{Elems: elems}
	}
	n := r.IntN(12)
	elems := []Term{}
	for range n {
		elems = append(elems, randomTerm(r, depth+1))
	}
	return List{Elems: elems}
}

// erlPrint prints each term with io:format("~p") in a real erl and returns
// the outputs; it skips the test when erl is not installed.
func erlPrint(t *testing.T, terms []Term, col int) []string {
	t.Helper()
	if _, err := exec.LookPath("erl"); err != nil {
		t.Skip("erl not installed; the ~p layout is checked against Erlang/OTP when it is")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.terms")
	var b strings.Builder
	for _, tm := range terms {
		b.WriteString(WriteTerm(tm))
		b.WriteString(".\n")
	}
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	prefix := strings.Repeat(" ", col-1)
	script := `{ok, Ts} = file:consult("` + in + `"),
		[io:format("~s~p~n\x{1}~n", ["` + prefix + `", T]) || T <- Ts], halt().`
	cmd := exec.Command("erl", "-noshell", "-eval", script)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("erl: %v\n%s%s", err, out, stderr.String())
	}
	parts := strings.Split(string(out), "\n\x01\n")
	if len(parts) != len(terms)+1 {
		t.Fatalf("erl printed %d terms, want %d:\n%s", len(parts)-1, len(terms), out)
	}
	for i := range terms {
		parts[i] = strings.TrimPrefix(parts[i], prefix)
	}
	return parts[:len(terms)]
}

// TestPrettyMatchesErlang prints random terms with PrettyTerm and with
// io:format("~p") in OTP and requires identical text.
func TestPrettyMatchesErlang(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var terms []Term
	for range 600 {
		terms = append(terms, randomTerm(r, 0))
	}
	for _, col := range []int{1, 9} {
		want := erlPrint(t, terms, col)
		bad := 0
		for i, tm := range terms {
			if got := PrettyTerm(tm, col); got != want[i] {
				bad++
				if bad <= 3 {
					t.Errorf("column %d, term %s:\ngot:\n%s\nerl:\n%s", col, WriteTerm(tm), got, want[i])
				}
			}
		}
		if bad > 0 {
			t.Errorf("column %d: %d of %d terms differ from erl", col, bad, len(terms))
		}
	}
}

// TestFormatFloatMatchesErlang checks the float text against erl's ~p.
func TestFormatFloatMatchesErlang(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	fs := []float64{0, 1, 0.1, 0.5, 1.0 / 3, 2071.04, 21908.0, 100, 1000, 1e15, 1e16, 1e21, 1e22,
		0.0001, 0.00001, 9.99e-5, 123456789012345678.0, 5e-324, math.MaxFloat64, 0.7176294282834101,
		0.1875, 0.998550134202454, 19.3828125, -2.5, -1e-7}
	for range 300 {
		fs = append(fs, r.Float64()*math.Pow(10, float64(r.IntN(60)-30)))
		fs = append(fs, math.Float64frombits(r.Uint64()&^(0x7ff<<52)|uint64(r.IntN(0x7fe)+1)<<52))
	}
	terms := make([]Term, len(fs))
	for i, f := range fs {
		terms[i] = Float(f)
	}
	want := erlPrint(t, terms, 1)
	for i, f := range fs {
		if got := FormatFloat(f); got != want[i] {
			t.Errorf("FormatFloat(%v) = %s, erl prints %s", f, got, want[i])
		}
	}
}
