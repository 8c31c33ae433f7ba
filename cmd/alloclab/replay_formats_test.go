package main

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// TestReplayBinaryAndGzip: a trace converted to the binary format, and a
// gzip-compressed text trace, replay to the oracle's layouts like the
// text originals (every example, one strategy each).
func TestReplayBinaryAndGzip(t *testing.T) {
	dir := t.TempDir()
	for i, name := range goldenExampleNames {
		as := goldenStrategies[i%len(goldenStrategies)]
		trace := filepath.Join(goldenExamplesDir, name+".trace")
		want, err := os.ReadFile(filepath.Join(goldenExamplesDir, name+"."+as+".layout"))
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, name+".altr.gz")
		if code, _, stderr := goldenRun("convert", trace, bin); code != 0 {
			t.Fatalf("convert %s: exit %d: %s", name, code, stderr)
		}
		text, err := os.ReadFile(trace)
		if err != nil {
			t.Fatal(err)
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(text)
		zw.Close()
		gzText := filepath.Join(dir, name+".trace.gz")
		if err := os.WriteFile(gzText, gz.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, in := range []string{bin, gzText} {
			code, out, stderr := goldenRun("replay", "--single", "--layout", "--flags", goldenOracleFlags+" +MZas "+as, in)
			if code != 0 {
				t.Fatalf("%s: exit %d: %s", in, code, stderr)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("%s (%s): layout differs from the oracle's: %s", filepath.Base(in), as, goldenDiff(want, out))
			}
		}
	}
}
