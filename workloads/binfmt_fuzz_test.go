package workloads

import (
	"bytes"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// FuzzBinaryReader feeds arbitrary bytes to the BinaryReader. It must not
// panic; every error must be a *SyntaxError with a record number not before
// the last op's; lenient mode must return the strict ops and then maybe
// more; and an accepted trace must round-trip: written as binary and read
// again, and written as text and read again, it gives the same ops.
func FuzzBinaryReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.trace")
	for _, file := range files {
		text, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(binaryOf(f, readOps(f, NewReader(bytes.NewReader(text), file))))
	}
	f.Add(binaryOf(f, randomOps(rand.New(rand.NewSource(1)), 200)))
	f.Add([]byte("ALTR\x01"))
	f.Add(bin(0x07))
	f.Fuzz(func(t *testing.T, data []byte) {
		var strict []Op
		for _, lenient := range []bool{false, true} {
			rd := NewBinaryReader(bytes.NewReader(data), "fuzz")
			rd.SetLenient(lenient)
			var ops []Op
			line := 1
			for rd.Scan() {
				op := rd.Op()
				if op.Line <= line {
					t.Fatalf("record numbers not increasing: %d after %d", op.Line, line)
				}
				line = op.Line
				ops = append(ops, op)
			}
			if err := rd.Err(); err != nil {
				var se *SyntaxError
				if !errors.As(err, &se) || se.File != "fuzz" || se.Line < line || se.Line < 1 {
					t.Fatalf("error %v: want a *SyntaxError at record >= %d", err, line)
				}
			}
			if !lenient {
				strict = ops
				if rd.Err() != nil {
					continue
				}
			} else {
				if len(ops) < len(strict) || !sameBinOps(ops[:len(strict)], strict) {
					t.Fatalf("lenient ops do not start with the strict ones")
				}
				continue
			}
			// Accepted: round trips.
			bin := binaryOf(t, ops)
			if got := readOps(t, NewBinaryReader(bytes.NewReader(bin), "fuzz")); !sameBinOps(got, ops) {
				t.Fatalf("binary round trip differs:\n%v\n%v", ops, got)
			}
			text := textOf(t, ops)
			if got := readOps(t, NewReader(bytes.NewReader(text), "fuzz")); !sameBinOps(got, ops) {
				t.Fatalf("text round trip differs:\n%v\n%v", ops, got)
			}
		}
	})
}

// sameBinOps is reflect.DeepEqual without telling nil from empty.
func sameBinOps(a, b []Op) bool {
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
