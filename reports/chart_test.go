package reports

import (
	"bytes"
	"encoding/xml"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateCharts = flag.Bool("update", false, "rewrite the golden files of the reports tests (testdata/charts/*.png)")

// chartComparison is a small, fixed comparison: two configurations over
// five samples, one with a detailed carrier map, one with a heat map.
func chartComparison() *Comparison {
	mk := func(fp []uint64) *Series {
		s := &Series{Interval: 100}
		for i, f := range fp {
			req := uint64(i) * 100 << 10
			smp := Sample{Ops: uint64(i) * 100, Footprint: f, Used: req + req/20, Requested: req, Ideal: IdealFootprint(req)}
			smp.TypeFootprint[9] = f * 3 / 4 // binary_alloc
			smp.TypeFootprint[5] = f - smp.TypeFootprint[9]
			s.Samples = append(s.Samples, smp)
		}
		return s
	}
	detailed := &CarrierMap{Detailed: true, FreeHist: make([]uint64, CarriersHistWidth), Carriers: []CarrierView{
		{Allocator: "binary_alloc", Instance: 1, Addr: 1 << 20, Size: 256 << 10, Used: 100 << 10,
			Segments: []Segment{{64, 40 << 10, false}, {64 + 40<<10, 100 << 10, true}, {64 + 140<<10, 60 << 10, false}, {64 + 200<<10, 56<<10 - 64, true}}},
		{Allocator: "eheap_alloc", Instance: 2, Addr: 2 << 20, Size: 512 << 10, SBC: true, Used: 500 << 10,
			Segments: []Segment{{64, 500 << 10, false}}},
	}}
	detailed.FreeHist[7], detailed.FreeHist[6] = 1, 1
	heat := &CarrierMap{FreeHist: make([]uint64, CarriersHistWidth)}
	for i := range 3 {
		cv := CarrierView{Allocator: "binary_alloc", Instance: i, Addr: uint64(i+1) << 24, Size: 1 << 20, Buckets: make([]float64, MapBuckets)}
		for b := range cv.Buckets {
			cv.Buckets[b] = float64((b+i*7)%10) / 9
		}
		heat.Carriers = append(heat.Carriers, cv)
	}
	heat.FreeHist[3] = 5
	runs := []Run{
		{Name: "alpha", Flags: "+Muas bf", Series: mk([]uint64{1 << 20, 2 << 20, 2 << 20, 3 << 20, 3 << 20}), Map: detailed},
		{Name: "beta", Flags: "+Muas aoffcbf", Series: mk([]uint64{1 << 20, 1 << 20, 2 << 20, 2 << 20, 4 << 20}), Map: heat},
	}
	for i := range runs {
		runs[i].Metrics = ComputeMetrics(Extremes{MaxFootprint: 4 << 20, MaxRequested: 400 << 10}, runs[i].Series.Last(), nil)
	}
	jw4, _ := LookupMetric("jw4")
	return NewComparison(TraceSummary{Name: "test.trace", Source: "hand-made", Mode: "node, 2 schedulers", Records: 400}, jw4, runs)
}

// svgTexts returns the text elements and the stroke and fill colours of an SVG.
func svgTexts(t *testing.T, b []byte) (texts []string, colours map[string]int) {
	t.Helper()
	colours = map[string]int{}
	d := xml.NewDecoder(bytes.NewReader(b))
	inText := false
	var root bool
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG does not parse: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if e.Name.Local == "svg" {
				root = true
			}
			inText = e.Name.Local == "text"
			for _, a := range e.Attr {
				if a.Name.Local == "style" {
					for _, kv := range strings.Split(a.Value, ";") {
						if k, v, ok := strings.Cut(kv, ":"); ok && (k == "stroke" || k == "fill") {
							colours[strings.ToUpper(v)]++
						}
					}
				}
			}
		case xml.CharData:
			if inText {
				texts = append(texts, strings.TrimSpace(string(e)))
			}
		case xml.EndElement:
			inText = false
		}
	}
	if !root {
		t.Fatal("no <svg> element")
	}
	return texts, colours
}

func hexColour(i int) string {
	c := ChartColor(i)
	return fmt.Sprintf("#%02X%02X%02X", c.R, c.G, c.B)
}

// Every chart's SVG has its title, axis labels with units, a legend entry
// per configuration and the configurations' colours.
func TestChartsSVG(t *testing.T) {
	c := chartComparison()
	charts, err := Charts(c)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"footprint":         {"Footprint (solid), used (dashed) and ideal (dotted)", "operations (a/r/f records)", "bytes (MiB)", "alpha footprint", "beta footprint", "ideal (requested, in 4 KiB pages)"},
		"usage":             {"Usage: used / footprint (recon memory(usage))", "usage (fraction)", "alpha", "beta"},
		"overhead":          {"footprint / requested − 1", "alpha", "beta"},
		"free-blocks":       {"Free blocks at the end, by size (instrument:carriers slots)", "free block size", "free blocks", "0–1K", "1K–3K", "≥8191K", "1023K–2047K", "alpha", "beta"},
		"footprint-by-type": {"Footprint by allocator type at the peak footprint", "carriers size (MiB)", "eheap_alloc", "binary_alloc", "alpha", "beta"},
		"carrier-map-alpha": {"Carriers of alpha at the end: allocated and free blocks", "offset in the carrier (KiB)", "binary 1 mbc", "eheap 2 sbc", "allocated", "free"},
		"carrier-map-beta":  {"Carriers of beta at the end: utilisation by address bucket", "position in the carrier (%)", "0% allocated", "100% allocated"},
	}
	if len(charts) != len(want) {
		t.Errorf("%d charts, want %d", len(charts), len(want))
	}
	for i := range charts {
		ch := &charts[i]
		words, ok := want[ch.Name]
		if !ok {
			t.Errorf("unexpected chart %s", ch.Name)
			continue
		}
		b, err := ch.Render("svg")
		if err != nil {
			t.Fatal(err)
		}
		texts, colours := svgTexts(t, b)
		all := strings.Join(texts, "\n")
		for _, w := range words {
			if !strings.Contains(all, w) {
				t.Errorf("%s.svg: no text %q in %q", ch.Name, w, texts)
			}
		}
		if !strings.HasPrefix(ch.Name, "carrier-map") {
			for r := range c.Runs {
				if colours[hexColour(r)] == 0 {
					t.Errorf("%s.svg: no element in %s's colour %s", ch.Name, c.Runs[r].Name, hexColour(r))
				}
			}
			// Axes: tick labels are numbers or names, at least 3 of them.
			if len(texts) < len(words)+3 {
				t.Errorf("%s.svg: only %d texts", ch.Name, len(texts))
			}
		}
	}
	// The carrier maps: the detailed one has allocated and free colours,
	// the heat map the two ends of its scale.
	for _, ch := range charts {
		b, _ := ch.Render("svg")
		_, colours := svgTexts(t, b)
		switch ch.Name {
		case "carrier-map-alpha":
			if colours["#1F4E9A"] < 3 || colours["#E4E4E4"] < 2 {
				t.Errorf("carrier map: colours %v", colours)
			}
		case "carrier-map-beta":
			if colours["#08306B"] == 0 || colours["#F7FBFF"] == 0 {
				t.Errorf("heat map: colours %v", colours)
			}
		}
	}
}

// The PNG rendering matches the golden images within a tolerance (fonts
// are rasterised by pure Go code, but anti-aliasing may move by a shade):
// at most 0.5% of the pixels may differ by more than 24 in a channel.
// Regenerate with go test ./reports -run TestChartsPNG -update.
func TestChartsPNG(t *testing.T) {
	charts, err := Charts(chartComparison())
	if err != nil {
		t.Fatal(err)
	}
	for i := range charts {
		ch := &charts[i]
		b, err := ch.Render("png")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "charts", ch.Name+".png")
		if *updateCharts {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./reports -run TestChartsPNG -update writes it)", err)
		}
		if frac, err := pngDiff(want, b); err != nil || frac > 0.005 {
			got := filepath.Join(t.ArtifactDir(), ch.Name+".png")
			os.WriteFile(got, b, 0o644)
			t.Errorf("%s: %.3f%% of the pixels differ (%v); got saved as %s", path, frac*100, err, got)
		}
	}
}

// pngDiff is the fraction of pixels that differ by more than 24 in a
// channel; an error when the images do not decode or differ in size.
func pngDiff(a, b []byte) (float64, error) {
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		return 1, err
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return 1, err
	}
	if ia.Bounds() != ib.Bounds() {
		return 1, fmt.Errorf("size %v, want %v", ib.Bounds(), ia.Bounds())
	}
	r := ia.Bounds()
	bad := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if pixelFar(ia, ib, x, y) {
				bad++
			}
		}
	}
	return float64(bad) / float64(r.Dx()*r.Dy()), nil
}

func pixelFar(a, b image.Image, x, y int) bool {
	r1, g1, b1, a1 := a.At(x, y).RGBA()
	r2, g2, b2, a2 := b.At(x, y).RGBA()
	far := func(p, q uint32) bool { return max(p, q)-min(p, q) > 24*257 }
	return far(r1, r2) || far(g1, g2) || far(b1, b2) || far(a1, a2)
}

// The PNG comparison fails on a changed image.
func TestPNGDiffDetects(t *testing.T) {
	charts, err := Charts(chartComparison())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := charts[0].Render("png")
	charts[0].Plot.Title.Text = "Something else entirely, longer than before"
	b, _ := charts[0].Render("png")
	if frac, err := pngDiff(a, a); err != nil || frac != 0 {
		t.Errorf("identical images differ: %v %v", frac, err)
	}
	if frac, _ := pngDiff(a, b); frac == 0 {
		t.Error("a changed title went unnoticed")
	}
}

// WriteCharts writes a PNG and an SVG per chart.
func TestWriteCharts(t *testing.T) {
	dir := t.TempDir()
	if err := WriteCharts(dir, chartComparison()); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(names) != 14 {
		t.Errorf("%d files: %v", len(names), names)
	}
}
