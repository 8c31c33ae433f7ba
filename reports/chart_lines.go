package reports

import (
	"fmt"

	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// TimeLine is one line of a memory chart: bytes at points in time (ms).
type TimeLine struct {
	Name   string
	Color  int  // palette index (ChartColor)
	Dashed bool // a secondary quantity of the same run
	Ms     []float64
	Bytes  []float64
}

// MemoryChart draws byte quantities over time in milliseconds, one line
// per TimeLine, the byte axis in the unit that fits the largest value
// (B, KiB, MiB, GiB) — the chart `alloclab leak --plot` draws for a run
// with and without its fix.
func MemoryChart(name, title string, lines []TimeLine) (Chart, error) {
	var top float64
	for _, l := range lines {
		if len(l.Ms) != len(l.Bytes) {
			return Chart{}, fmt.Errorf("chart %s: line %q has %d times and %d values", name, l.Name, len(l.Ms), len(l.Bytes))
		}
		for _, v := range l.Bytes {
			top = max(top, v)
		}
	}
	div, unit := ByteUnit(top)
	p := newPlot(title, "time (ms)", "bytes ("+unit+")")
	for _, l := range lines {
		pts := make(plotter.XYs, len(l.Ms))
		for i := range l.Ms {
			pts[i] = plotter.XY{X: l.Ms[i], Y: l.Bytes[i] / div}
		}
		if len(pts) == 0 {
			pts = append(pts, plotter.XY{})
		}
		ln, err := plotter.NewLine(pts)
		if err != nil {
			return Chart{}, err
		}
		ln.Color = ChartColor(l.Color)
		ln.Width = vg.Points(1.5)
		if l.Dashed {
			ln.Dashes = dashed
		}
		p.Add(ln)
		p.Legend.Add(l.Name, ln)
	}
	headroom(p, top/div, len(lines))
	return Chart{Name: name, Title: title, Plot: p, W: 8 * vg.Inch, H: 4.5 * vg.Inch}, nil
}
