package workloads

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

// TestOpenTrace opens every form of a trace, by file and from stdin, and
// checks that each gives the same ops and the right reader.
func TestOpenTrace(t *testing.T) {
	ops := randomOps(rand.New(rand.NewSource(2)), 2000)
	text, binary := textOf(t, ops), binaryOf(t, ops)
	want := readOps(t, NewReader(bytes.NewReader(text), "x"))
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		data   []byte
		binary bool
	}{
		{"a.trace", text, false},
		{"a.altr", binary, true},
		{"a.trace.gz", gzipped(text), false},
		{"a.altr.gz", gzipped(binary), true},
		{"gz-without-suffix", gzipped(binary), true},
		{"binary.trace", binary, true},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, src := range []string{path, "-"} {
			rd, c, err := OpenTrace(src, bytes.NewReader(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			if _, isBin := rd.(*BinaryReader); isBin != tc.binary {
				t.Errorf("%s (%s): binary reader %v, want %v", tc.name, src, isBin, tc.binary)
			}
			if got := readOps(t, rd); !sameBinOps(got, want) {
				t.Errorf("%s (%s): ops differ", tc.name, src)
			}
			if err := c.Close(); err != nil {
				t.Error(err)
			}
		}
	}
}

func TestOpenTraceErrors(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := OpenTrace(filepath.Join(dir, "missing.trace"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(dir, "bad.trace.gz")
	os.WriteFile(bad, []byte(Magic+"\n"), 0o644)
	if _, _, err := OpenTrace(bad, nil); err == nil || !strings.Contains(err.Error(), "bad.trace.gz: not gzip data") {
		t.Errorf(".gz that is not gzip: %v", err)
	}
	// Corrupt gzip data: a read error with the name.
	data := gzipped(binaryOf(t, randomOps(rand.New(rand.NewSource(3)), 500)))
	data[len(data)-5] ^= 0xff // the checksum
	rd, c, err := OpenTrace("-", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for rd.Scan() {
	}
	if err := rd.Err(); err == nil || !strings.HasPrefix(err.Error(), "<stdin>:") || !errors.Is(err, gzip.ErrChecksum) {
		t.Errorf("corrupt gzip: %v", err)
	}
	// Errors in text traces keep their line numbers; binary ones record
	// numbers.
	for _, in := range [][]byte{[]byte(Magic + "\n# x\nf 3\n"), gzipped(bin(codeFree, zz(3)))} {
		rd, c, _ := OpenTrace("-", bytes.NewReader(in))
		for rd.Scan() {
		}
		c.Close()
		if err := rd.Err(); err == nil || !strings.Contains(err.Error(), ":3: f: ID 3 is not live") && !strings.Contains(err.Error(), ":2: f: ID 3 is not live") {
			t.Errorf("error %v", err)
		}
	}
}

func TestOpenCreateTrace(t *testing.T) {
	ops := randomOps(rand.New(rand.NewSource(4)), 1000)
	want := readOps(t, NewReader(bytes.NewReader(textOf(t, ops)), "x"))
	dir := t.TempDir()
	for _, name := range []string{"a.trace", "a.trace.gz", "a.altr", "a.altr.gz"} {
		path := filepath.Join(dir, name)
		binary := IsBinaryTraceName(path)
		w, tf, err := CreateTrace(path, binary)
		if err != nil {
			t.Fatal(err)
		}
		for _, op := range ops {
			if err := w.Write(op); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s exists before Close", name)
		}
		if err := tf.Close(); err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(path)
		if gz := bytes.HasPrefix(raw, gzipMagic); gz != strings.HasSuffix(name, ".gz") {
			t.Errorf("%s: gzip %v", name, gz)
		}
		rd, c, err := OpenTrace(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, isBin := rd.(*BinaryReader); isBin != binary {
			t.Errorf("%s: binary %v", name, isBin)
		}
		if got := readOps(t, rd); !sameBinOps(got, want) {
			t.Errorf("%s: ops differ", name)
		}
		c.Close()
	}
	// Abort leaves nothing behind, and an existing file as it was.
	path := filepath.Join(dir, "a.trace")
	before, _ := os.ReadFile(path)
	w, tf, err := CreateTrace(path, false)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(Op{Kind: Time, Nanos: 1})
	tf.Abort()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("Abort changed the target")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 4 {
		t.Errorf("%d files left in the directory, want 4", len(ents))
	}
	if _, _, err := CreateTrace(filepath.Join(dir, "no", "such", "dir.trace"), false); err == nil {
		t.Error("CreateTrace in a missing directory succeeded")
	}
}

func TestBinaryTraceName(t *testing.T) {
	for name, want := range map[string]bool{"a.altr": true, "a.altr.gz": true, "x/a.trace": false,
		"a.trace.gz": false, "altr": false, "a.gz": false} {
		if IsBinaryTraceName(name) != want {
			t.Errorf("%s: want %v", name, want)
		}
	}
}
