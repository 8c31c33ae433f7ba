package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"alloclab/workloads"
)

// canonicalText is what workloads.Writer makes of a text trace.
func canonicalText(t *testing.T, text []byte) []byte {
	t.Helper()
	rd := workloads.NewReader(bytes.NewReader(text), "x")
	var b bytes.Buffer
	w := workloads.NewWriter(&b)
	for rd.Scan() {
		if err := w.Write(rd.Op()); err != nil {
			t.Fatal(err)
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	return b.Bytes()
}

func readMaybeGz(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
		return raw
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustConvert(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	r := cliRun(stdin, append([]string{"convert"}, args...)...)
	r.mustNotPanic(t, args...)
	if r.code != 0 {
		t.Fatalf("alloclab convert %q: exit %d: %s", args, r.code, r.stderr)
	}
	return r.stdout
}

// TestConvertRoundTrip converts every example trace text -> binary ->
// text through each form of file and checks the result is canonical.
func TestConvertRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../../workloads/testdata/*.trace")
	if len(files) == 0 {
		t.Fatal("no traces")
	}
	dir := t.TempDir()
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		// Comments and blank lines, which the canonical text drops.
		text = append(text, "\n# trailing comment\n"...)
		want := canonicalText(t, text)
		base := filepath.Join(dir, filepath.Base(f))
		in := base + ".in.trace"
		os.WriteFile(in, text, 0o644)
		for _, pair := range [][2]string{
			{".altr", ".out.trace"},
			{".altr.gz", ".out.trace.gz"},
			{".bin", ".out.txt"}, // .bin: by the input's form, binary
		} {
			mid, out := base+pair[0], base+pair[1]
			mustConvert(t, "", in, mid)
			if b := readMaybeGz(t, mid); !bytes.HasPrefix(b, []byte(workloads.BinaryMagic)) {
				t.Fatalf("%s: not binary", mid)
			}
			mustConvert(t, "", mid, out)
			if got := readMaybeGz(t, out); !bytes.Equal(got, want) {
				t.Fatalf("%s: not the canonical text of %s:\n%s\nwant:\n%s", out, f, got, want)
			}
		}
		// Standard input and output, --to.
		binOut := mustConvert(t, string(text), "--to", "binary", "-", "-")
		if got := mustConvert(t, binOut, "-", "-"); got != string(want) {
			t.Fatalf("%s: stdin/stdout round trip differs", f)
		}
		// --to text overrides the name; text -> text canonicalizes.
		odd := base + ".x.altr"
		mustConvert(t, "", "--to", "text", in, odd)
		if got, _ := os.ReadFile(odd); !bytes.Equal(got, want) {
			t.Fatalf("%s: --to text", f)
		}
	}
}

func TestConvertErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.trace")
	os.WriteFile(bad, []byte("alloclab-trace 1\na 1 binary_alloc 1 10\n# c\nf 2\n"), 0o644)
	out := filepath.Join(dir, "out.altr")
	os.WriteFile(out, []byte("old"), 0o644)
	badBin := filepath.Join(dir, "bad.altr.gz")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("ALTR\x01\x07"))
	zw.Close()
	os.WriteFile(badBin, gz.Bytes(), 0o644)
	for _, tc := range []struct {
		args []string
		msg  string
	}{
		{[]string{bad, out}, bad + ":4: f: ID 2 is not live"},
		{[]string{badBin, out}, badBin + ":2: bad record byte 0x07"},
		{[]string{filepath.Join(dir, "missing.trace"), out}, "no such file"},
		{[]string{"--to", "json", bad, out}, `--to "json"`},
		{[]string{bad}, "accepts 2 arg"},
	} {
		r := cliRun("", append([]string{"convert"}, tc.args...)...)
		r.mustNotPanic(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.msg) || r.stdout != "" {
			t.Errorf("convert %q: exit %d, stderr %q; want exit 2 and %q", tc.args, r.code, r.stderr, tc.msg)
		}
	}
	if got, _ := os.ReadFile(out); string(got) != "old" {
		t.Errorf("a failed convert changed the output: %q", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 3 {
		t.Errorf("%d files in the directory, want 3 (temporary files left?)", len(ents))
	}
	// Nothing on stdout for a failure with "-".
	r := cliRun("alloclab-trace 1\nt 5\nt 4\n", "convert", "-", "-")
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "<stdin>:3: t: time 4 goes backwards") {
		t.Errorf("stdin: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}
