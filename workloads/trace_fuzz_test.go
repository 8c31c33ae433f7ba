package workloads

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// scanAll reads data to the end; noFast makes the Reader use its general
// parser only.
func scanAll(data []byte, lenient, noFast bool) ([]Op, *Reader) {
	rd := NewReader(bytes.NewReader(data), "fuzz")
	rd.SetLenient(lenient)
	rd.noFast = noFast
	var ops []Op
	for rd.Scan() {
		ops = append(ops, rd.Op())
	}
	return ops, rd
}

// FuzzReader feeds arbitrary bytes to the Reader. It must not panic; every
// error must be a *SyntaxError with a line number; the fast and the general
// parser must agree; lenient mode must fail only where strict mode fails on
// line 1; and an accepted trace, written out and read again, must give the
// same ops.
func FuzzReader(f *testing.F) {
	for _, data := range exampleTraces(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var strictErr *SyntaxError
		for _, lenient := range []bool{false, true} {
			ops, rd := scanAll(data, lenient, false)
			slow, rdSlow := scanAll(data, lenient, true)
			if !equalOps(ops, slow) || !sameErr(rd.Err(), rdSlow.Err()) || rd.Skipped() != rdSlow.Skipped() {
				t.Fatalf("lenient=%v: fast and general parsers differ:\n%v %v\n%v %v",
					lenient, ops, rd.Err(), slow, rdSlow.Err())
			}

			records, line := 0, 0
			for _, op := range ops {
				if op.Line <= line {
					t.Fatalf("line numbers not increasing: %d after %d", op.Line, line)
				}
				line = op.Line
				if op.Kind != Directive {
					records++
				}
			}
			if records != rd.Records() {
				t.Fatalf("Records() = %d, counted %d", rd.Records(), records)
			}

			if err := rd.Err(); err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) || se.Line < 1 || se.Line <= line || se.File != "fuzz" {
					t.Fatalf("lenient=%v: bad error %#v after line %d", lenient, err, line)
				}
				if !lenient {
					strictErr = se
				} else if strictErr == nil || se.Line != 1 || *se != *strictErr {
					t.Fatalf("lenient mode failed (%v) where strict mode gave %v", se, strictErr)
				}
				continue
			}
			if lenient {
				if e := rd.FirstSkipped(); (e == nil) != (rd.Skipped() == 0) {
					t.Fatalf("Skipped() = %d but FirstSkipped() = %v", rd.Skipped(), e)
				}
				if e := rd.FirstSkipped(); e != nil {
					var se *SyntaxError
					if !errors.As(e, &se) || se.Line < 2 {
						t.Fatalf("FirstSkipped() = %#v", e)
					}
					if strictErr == nil || *se != *strictErr {
						t.Fatalf("first skipped %v, strict mode stopped with %v", se, strictErr)
					}
				} else if strictErr != nil {
					t.Fatalf("strict mode failed (%v), lenient mode skipped nothing", strictErr)
				}
			}

			// Round trip.
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
			back, rd2 := scanAll(buf.Bytes(), false, false)
			if rd2.Err() != nil {
				t.Fatalf("reading back: %v\n%q", rd2.Err(), buf.Bytes())
			}
			if !sameOps(ops, back) {
				t.Fatalf("round trip differs:\n got %+v\nwant %+v", back, ops)
			}
		}
	})
}

func equalOps(a, b []Op) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

// TestFuzzSeeds checks that the seed corpus says what its names say: the
// valid_* seeds are accepted, the err_* seeds rejected.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzReader")
	ents, err := os.ReadDir(dir)
	if err != nil || len(ents) < 12 {
		t.Fatalf("seed corpus: %d files, %v", len(ents), err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || lines[0] != "go test fuzz v1" ||
			!strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
			t.Fatalf("%s: not a one-value corpus file", e.Name())
		}
		data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		_, rd := scanAll([]byte(data), false, false)
		if valid := strings.HasPrefix(e.Name(), "valid_"); valid != (rd.Err() == nil) {
			t.Errorf("%s: Err() = %v", e.Name(), rd.Err())
		}
	}
}
