package reports

// Charts of a comparison, drawn with gonum.org/v1/plot, each in PNG and
// SVG:
//
//	footprint.*          footprint (solid), used (dashed) per configuration and
//	                     the ideal footprint (dotted), over operations or time —
//	                     the observer allocator-graph idiom
//	usage.*              used / footprint over time, per configuration
//	overhead.*           footprint / requested − 1 over time (Bohra & Gabber)
//	carrier-map-NAME.*   the carriers at the end, one bar each in address order,
//	                     allocated vs free blocks (Erlang in Anger §7.3); a heat
//	                     map of utilisation by carrier and address bucket when
//	                     the carriers hold too many blocks to draw one by one
//	free-blocks.*        free blocks at the end per instrument:carriers slot
//	footprint-by-type.*  carriers size per allocator type at the moment of the
//	                     maximum footprint
//
// Axes carry units (B/KiB/MiB/GiB, operations or µs/ms/s of the trace's
// clock); configurations have one colour each, in configuration order.

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// chartColors: one per configuration (Tableau 10, then two more), cycled.
var chartColors = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, {0xff, 0x7f, 0x0e, 0xff}, {0x2c, 0xa0, 0x2c, 0xff}, {0xd6, 0x27, 0x28, 0xff},
	{0x94, 0x67, 0xbd, 0xff}, {0x8c, 0x56, 0x4b, 0xff}, {0xe3, 0x77, 0xc2, 0xff}, {0x7f, 0x7f, 0x7f, 0xff},
	{0xbc, 0xbd, 0x22, 0xff}, {0x17, 0xbe, 0xcf, 0xff}, {0x39, 0x3b, 0x79, 0xff}, {0x63, 0x79, 0x39, 0xff},
}

// ChartColor is configuration i's colour.
func ChartColor(i int) color.RGBA { return chartColors[i%len(chartColors)] }

// Chart is one chart of a comparison.
type Chart struct {
	Name  string // file name without extension
	Title string
	Plot  *plot.Plot
	W, H  vg.Length
}

// Render draws the chart as "png" or "svg".
func (ch *Chart) Render(format string) ([]byte, error) {
	wt, err := ch.Plot.WriterTo(ch.W, ch.H, format)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteCharts writes every chart of c into dir as NAME.png and NAME.svg.
func WriteCharts(dir string, c *Comparison) error {
	charts, err := Charts(c)
	if err != nil {
		return err
	}
	for i := range charts {
		for _, f := range []string{"png", "svg"} {
			b, err := charts[i].Render(f)
			if err != nil {
				return fmt.Errorf("chart %s: %w", charts[i].Name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, charts[i].Name+"."+f), b, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// Charts builds every chart of c.
func Charts(c *Comparison) ([]Chart, error) {
	var out []Chart
	for _, build := range []func(*Comparison) (Chart, error){footprintChart, usageChart, overheadChart, freeBlocksChart, typeChart} {
		ch, err := build(c)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	for i := range c.Runs {
		if c.Runs[i].Map == nil {
			continue
		}
		ch, err := carrierMapChart(&c.Runs[i], i)
		if err != nil {
			return nil, err
		}
		out = append(out, ch)
	}
	return out, nil
}

// ByteUnit picks the binary unit that shows max bytes best.
func ByteUnit(max float64) (div float64, unit string) {
	switch {
	case max >= 1<<30:
		return 1 << 30, "GiB"
	case max >= 1<<20:
		return 1 << 20, "MiB"
	case max >= 1<<10:
		return 1 << 10, "KiB"
	}
	return 1, "B"
}

// xScale is the X axis of the time series: operations, or the trace's
// clock in µs, ms or s.
func xScale(c *Comparison) (div float64, label string) {
	if len(c.Runs) == 0 || c.Runs[0].Series == nil || !c.Runs[0].Series.ByTime {
		return 1, "operations (a/r/f records)"
	}
	var maxNs float64
	for i := range c.Runs {
		s := c.Runs[i].Series
		maxNs = max(maxNs, float64(s.X(len(s.Samples)-1)))
	}
	switch {
	case maxNs >= 1e9:
		return 1e9, "trace time (s)"
	case maxNs >= 1e6:
		return 1e6, "trace time (ms)"
	}
	return 1e3, "trace time (µs)"
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Legend.Top = true
	p.Legend.Left = true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Add(plotter.NewGrid())
	return p
}

// headroom raises the Y axis so that a top-left legend of entries lines
// stays clear of the data.
func headroom(p *plot.Plot, top float64, entries int) {
	p.Y.Max = max(p.Y.Max, top*(1+0.06*float64(entries)))
}

// seriesLine is a line of y(sample) over the series, NaN points dropped.
func seriesLine(s *Series, xdiv float64, y func(*Sample) float64) (*plotter.Line, error) {
	pts := make(plotter.XYs, 0, len(s.Samples))
	for i := range s.Samples {
		v := y(&s.Samples[i])
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		pts = append(pts, plotter.XY{X: float64(s.X(i)) / xdiv, Y: v})
	}
	if len(pts) == 0 {
		pts = append(pts, plotter.XY{})
	}
	return plotter.NewLine(pts)
}

var (
	dashed = []vg.Length{vg.Points(5), vg.Points(3)}
	dotted = []vg.Length{vg.Points(1.5), vg.Points(2.5)}
)

func footprintChart(c *Comparison) (Chart, error) {
	xdiv, xlabel := xScale(c)
	var top float64
	for i := range c.Runs {
		for _, s := range c.Runs[i].Series.Samples {
			top = max(top, float64(s.Footprint), float64(s.Ideal))
		}
	}
	div, unit := ByteUnit(top)
	p := newPlot("Footprint (solid), used (dashed) and ideal (dotted)", xlabel, "bytes ("+unit+")")
	for i := range c.Runs {
		r := &c.Runs[i]
		fp, err := seriesLine(r.Series, xdiv, func(s *Sample) float64 { return float64(s.Footprint) / div })
		if err != nil {
			return Chart{}, err
		}
		fp.Color, fp.Width = ChartColor(i), vg.Points(1.5)
		used, err := seriesLine(r.Series, xdiv, func(s *Sample) float64 { return float64(s.Used) / div })
		if err != nil {
			return Chart{}, err
		}
		used.Color, used.Width, used.Dashes = ChartColor(i), vg.Points(1), dashed
		p.Add(fp, used)
		p.Legend.Add(r.Name+" footprint", fp)
	}
	if len(c.Runs) > 0 {
		// The ideal depends on the trace only: one line.
		ideal, err := seriesLine(c.Runs[0].Series, xdiv, func(s *Sample) float64 { return float64(s.Ideal) / div })
		if err != nil {
			return Chart{}, err
		}
		ideal.Color, ideal.Width, ideal.Dashes = color.Black, vg.Points(1.2), dotted
		p.Add(ideal)
		p.Legend.Add("ideal (requested, in 4 KiB pages)", ideal)
		used, _ := plotter.NewLine(plotter.XYs{{}})
		used.Color, used.Dashes = color.Gray{0x60}, dashed
		p.Legend.Add("used (blocks), dashed", used)
	}
	p.Y.Min = 0
	headroom(p, top/div, len(c.Runs)+2)
	return Chart{Name: "footprint", Title: "Footprint, used and ideal over time", Plot: p, W: 20 * vg.Centimeter, H: 12 * vg.Centimeter}, nil
}

func ratioChart(c *Comparison, name, title, ylabel string, y func(*Sample) float64) (Chart, error) {
	xdiv, xlabel := xScale(c)
	p := newPlot(title, xlabel, ylabel)
	for i := range c.Runs {
		l, err := seriesLine(c.Runs[i].Series, xdiv, y)
		if err != nil {
			return Chart{}, err
		}
		l.Color, l.Width = ChartColor(i), vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(c.Runs[i].Name, l)
		_, _, _, ymax := l.DataRange()
		headroom(p, ymax, len(c.Runs))
	}
	p.Y.Min = 0
	return Chart{Name: name, Title: title, Plot: p, W: 20 * vg.Centimeter, H: 10 * vg.Centimeter}, nil
}

func usageChart(c *Comparison) (Chart, error) {
	ch, err := ratioChart(c, "usage", "Usage: used / footprint (recon memory(usage))", "usage (fraction)",
		func(s *Sample) float64 { return s.Usage() })
	if err == nil {
		headroom(ch.Plot, 1, len(c.Runs))
	}
	return ch, err
}

func overheadChart(c *Comparison) (Chart, error) {
	return ratioChart(c, "overhead", "Fragmentation over time: footprint / requested − 1", "footprint / requested − 1",
		func(s *Sample) float64 { return s.Overhead() })
}

// groupedBars draws one bar per configuration in each group.
func groupedBars(c *Comparison, p *plot.Plot, groups int, value func(run *Run, g int) float64, groupWidth vg.Length) error {
	n := len(c.Runs)
	w := groupWidth * 0.8 / vg.Length(max(n, 1))
	for i := range c.Runs {
		vs := make(plotter.Values, groups)
		for g := range groups {
			vs[g] = value(&c.Runs[i], g)
		}
		b, err := plotter.NewBarChart(vs, w)
		if err != nil {
			return err
		}
		b.Color = ChartColor(i)
		b.LineStyle.Width = 0
		b.Offset = (vg.Length(i) - vg.Length(n-1)/2) * w
		p.Add(b)
		p.Legend.Add(c.Runs[i].Name, b)
	}
	return nil
}

func freeBlocksChart(c *Comparison) (Chart, error) {
	labels := make([]string, CarriersHistWidth)
	lo := uint64(0)
	for k := range labels {
		hi := (uint64(1)<<(k+1) - 1) * CarriersHistStart * 2
		if k == CarriersHistWidth-1 {
			labels[k] = "≥" + shortBytes(lo)
		} else {
			labels[k] = shortBytes(lo) + "–" + shortBytes(hi)
		}
		lo = hi
	}
	p := newPlot("Free blocks at the end, by size (instrument:carriers slots)", "free block size", "free blocks")
	p.Legend.Left = false
	const W = 22 * vg.Centimeter
	err := groupedBars(c, p, CarriersHistWidth, func(r *Run, g int) float64 {
		if r.Map == nil {
			return 0
		}
		return float64(r.Map.FreeHist[g])
	}, (W-3*vg.Centimeter)/CarriersHistWidth)
	if err != nil {
		return Chart{}, err
	}
	p.NominalX(labels...)
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign = draw.XRight
	p.Y.Min = 0
	return Chart{Name: "free-blocks", Title: "Free-block size histogram", Plot: p, W: W, H: 11 * vg.Centimeter}, nil
}

// shortBytes writes n as 512, 3K, 2M: the exact bound of a histogram
// slot, in the largest unit that divides it.
func shortBytes(n uint64) string {
	switch {
	case n > 0 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	case n > 0 && n%(1<<10) == 0:
		return fmt.Sprintf("%dK", n>>10)
	}
	return fmt.Sprint(n)
}

// peakSample is the first sample with the series' largest footprint.
func peakSample(s *Series) *Sample {
	best := &s.Samples[0]
	for i := range s.Samples {
		if s.Samples[i].Footprint > best.Footprint {
			best = &s.Samples[i]
		}
	}
	return best
}

func typeChart(c *Comparison) (Chart, error) {
	var types []int
	var top float64
	for t := 1; t < NumTypeSlots; t++ {
		used := false
		for i := range c.Runs {
			v := float64(peakSample(c.Runs[i].Series).TypeFootprint[t])
			top = max(top, v)
			used = used || v > 0
		}
		if used {
			types = append(types, t)
		}
	}
	div, unit := ByteUnit(top)
	p := newPlot("Footprint by allocator type at the peak footprint", "allocator type", "carriers size ("+unit+")")
	p.Legend.Left = false
	const W = 20 * vg.Centimeter
	err := groupedBars(c, p, len(types), func(r *Run, g int) float64 {
		return float64(peakSample(r.Series).TypeFootprint[types[g]]) / div
	}, (W-3*vg.Centimeter)/vg.Length(max(len(types), 1)))
	if err != nil {
		return Chart{}, err
	}
	var names []string
	for _, t := range types {
		names = append(names, typeName(t))
	}
	if len(names) > 0 {
		p.NominalX(names...)
	}
	p.Y.Min = 0
	return Chart{Name: "footprint-by-type", Title: "Footprint by allocator type", Plot: p, W: W, H: 10 * vg.Centimeter}, nil
}

func typeName(t int) string {
	names := [...]string{"", "temp_alloc", "sl_alloc", "std_alloc", "ll_alloc", "eheap_alloc", "ets_alloc",
		"fix_alloc", "literal_alloc", "binary_alloc", "driver_alloc", "test_alloc"}
	if t > 0 && t < len(names) {
		return names[t]
	}
	return fmt.Sprintf("type %d", t)
}

// Carrier map colours.
var (
	mapAllocated = color.RGBA{0x1f, 0x4e, 0x9a, 0xff}
	mapFree      = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
	mapHeatLow   = color.RGBA{0xf7, 0xfb, 0xff, 0xff}
	mapHeatHigh  = color.RGBA{0x08, 0x30, 0x6b, 0xff}
)

func heatColor(u float64) color.RGBA {
	u = min(max(u, 0), 1)
	mix := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*u)) }
	return color.RGBA{mix(mapHeatLow.R, mapHeatHigh.R), mix(mapHeatLow.G, mapHeatHigh.G), mix(mapHeatLow.B, mapHeatHigh.B), 0xff}
}

// carrierMapPlotter draws a CarrierMap: row i is carrier i (address
// order). Detailed: X is the offset in the carrier (xdiv bytes per unit),
// allocated blocks dark, free blocks light. Heat: X is the position in
// the carrier in percent, each of the MapBuckets cells coloured by its
// utilisation.
type carrierMapPlotter struct {
	m    *CarrierMap
	heat bool
	xdiv float64
}

func (cp *carrierMapPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmax = 100
	if !cp.heat {
		xmax = 0
		for _, c := range cp.m.Carriers {
			xmax = max(xmax, float64(c.Size)/cp.xdiv)
		}
	}
	return 0, xmax, -0.5, float64(len(cp.m.Carriers)) - 0.5
}

func (cp *carrierMapPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	rect := func(x0, x1, y0, y1 float64, clr color.Color) {
		pts := []vg.Point{{X: trX(x0), Y: trY(y0)}, {X: trX(x1), Y: trY(y0)}, {X: trX(x1), Y: trY(y1)}, {X: trX(x0), Y: trY(y1)}}
		c.FillPolygon(clr, c.ClipPolygonXY(pts))
	}
	for i, cv := range cp.m.Carriers {
		y0, y1 := float64(i)-0.4, float64(i)+0.4
		if cp.heat {
			for b, u := range cv.Buckets {
				rect(float64(b)*100/MapBuckets, float64(b+1)*100/MapBuckets, y0, y1, heatColor(u))
			}
			continue
		}
		size := float64(cv.Size) / cp.xdiv
		rect(0, size, y0, y1, mapFree) // header, SBC tail: the carrier itself
		// Runs of allocated blocks (free blocks are coalesced, so the
		// free ones are the gaps), the carrier header counted as used.
		start := -1.0
		end := 0.0
		if len(cv.Segments) > 0 && cv.Segments[0].Offset > 0 {
			start, end = 0, float64(cv.Segments[0].Offset)
		}
		for _, s := range cv.Segments {
			if s.Free {
				if start >= 0 {
					rect(start/cp.xdiv, end/cp.xdiv, y0, y1, mapAllocated)
					start = -1
				}
				continue
			}
			if start < 0 {
				start = float64(s.Offset)
			}
			end = float64(s.Offset + s.Size)
		}
		if start >= 0 {
			rect(start/cp.xdiv, end/cp.xdiv, y0, y1, mapAllocated)
		}
	}
}

// carrierLabel is a carrier's Y tick label.
func carrierLabel(cv *CarrierView) string {
	kind := "mbc"
	if cv.SBC {
		kind = "sbc"
	}
	if cv.InPool {
		kind += " pool"
	}
	return fmt.Sprintf("%s %d %s", strings.TrimSuffix(cv.Allocator, "_alloc"), cv.Instance, kind)
}

// mapLegend is a legend swatch.
type mapLegend struct{ clr color.Color }

func (m mapLegend) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}}
	c.FillPolygon(m.clr, pts)
}

func carrierMapChart(r *Run, idx int) (Chart, error) {
	m := r.Map
	cp := &carrierMapPlotter{m: m, heat: !m.Detailed, xdiv: 1}
	var title, xlabel string
	if cp.heat {
		title = fmt.Sprintf("Carriers of %s at the end: utilisation by address bucket", r.Name)
		xlabel = "position in the carrier (%)"
	} else {
		var top float64
		for _, c := range m.Carriers {
			top = max(top, float64(c.Size))
		}
		div, unit := ByteUnit(top)
		cp.xdiv = div
		title = fmt.Sprintf("Carriers of %s at the end: allocated and free blocks", r.Name)
		xlabel = "offset in the carrier (" + unit + ")"
	}
	p := newPlot(title, xlabel, "carrier (address order)")
	p.Legend.Left = false
	p.Legend.Top = false
	p.Legend.YOffs = -vg.Points(0)
	p.Add(cp)
	if cp.heat {
		for _, u := range []float64{0, 0.5, 1} {
			p.Legend.Add(fmt.Sprintf("%.0f%% allocated", u*100), mapLegend{heatColor(u)})
		}
	} else {
		p.Legend.Add("allocated", mapLegend{mapAllocated})
		p.Legend.Add("free", mapLegend{mapFree})
	}
	if n := len(m.Carriers); n > 0 && n <= 40 {
		labels := make([]string, n)
		for i := range m.Carriers {
			labels[i] = carrierLabel(&m.Carriers[i])
		}
		p.NominalY(labels...)
	}
	h := vg.Length(max(len(m.Carriers), 4))*vg.Points(16) + 4*vg.Centimeter
	h = min(h, 40*vg.Centimeter)
	return Chart{Name: "carrier-map-" + r.Name, Title: "Carrier map: " + r.Name, Plot: p, W: 22 * vg.Centimeter, H: h}, nil
}
