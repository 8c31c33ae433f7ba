package reports

// A comparison: one workload replayed under several configurations, and
// its tables — text (aligned, for terminals), JSON, CSV and Go benchmark
// format (for benchstat). Every writer is deterministic: the same runs
// give the same bytes.

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// TraceSummary describes the workload of a comparison.
type TraceSummary struct {
	Name      string `json:"name"`   // trace file or scenario name
	Source    string `json:"source"` // the trace's '@ source' line, or the scenario and its parameters
	Mode      string `json:"mode"`   // "node, N schedulers" or "single"
	BaseFlags string `json:"base_flags"`
	Records   uint64 `json:"records"` // a/r/f records
	Nanos     uint64 `json:"nanos"`   // the trace's clock at the end
}

// Run is one configuration's result.
type Run struct {
	Name    string
	Flags   string
	Metrics Metrics
	Series  *Series
	Map     *CarrierMap
}

// Comparison is the runs of one workload, ranked by a metric.
type Comparison struct {
	Trace  TraceSummary
	Metric Metric
	Runs   []Run // in configuration order
	// Rank lists indices of Runs best first (Rank(metrics, Metric)).
	Rank []int
}

// NewComparison ranks runs by metric.
func NewComparison(trace TraceSummary, metric Metric, runs []Run) *Comparison {
	ms := make([]Metrics, len(runs))
	for i := range runs {
		ms[i] = runs[i].Metrics
	}
	return &Comparison{Trace: trace, Metric: metric, Runs: runs, Rank: Rank(ms, metric)}
}

// column is a column of the comparison tables.
type column struct {
	name string // CSV header and text heading
	unit string // benchfmt unit
	val  func(m *Metrics) float64
	kind colKind
}

// colKind says how text shows a column.
type colKind int

const (
	kRatio colKind = iota // 4 decimals
	kSize                 // bytes, with a binary unit
	kCount                // an integer
)

var compareColumns = []column{
	{"jw4", "jw4", func(m *Metrics) float64 { return float64(m.JW4) }, kRatio},
	{"jw3", "jw3", func(m *Metrics) float64 { return float64(m.JW3) }, kRatio},
	{"jw2", "jw2", func(m *Metrics) float64 { return float64(m.JW2) }, kRatio},
	{"jw1", "jw1", func(m *Metrics) float64 { return float64(m.JW1) }, kRatio},
	{"overhead", "overhead", func(m *Metrics) float64 { return float64(m.Overhead) }, kRatio},
	{"max_footprint", "max-footprint-B", func(m *Metrics) float64 { return float64(m.MaxFootprint) }, kSize},
	{"max_requested", "max-requested-B", func(m *Metrics) float64 { return float64(m.MaxRequested) }, kSize},
	{"max_ideal", "max-ideal-B", func(m *Metrics) float64 { return float64(m.MaxIdeal) }, kSize},
	{"end_footprint", "end-footprint-B", func(m *Metrics) float64 { return float64(m.EndFP) }, kSize},
	{"end_used", "end-used-B", func(m *Metrics) float64 { return float64(m.Recon.Used) }, kSize},
	{"usage", "usage", func(m *Metrics) float64 { return float64(m.Recon.Usage) }, kRatio},
	{"max_usage", "max-usage", func(m *Metrics) float64 { return float64(m.Recon.MaxUsage) }, kRatio},
	{"carriers_created", "carriers-created", func(m *Metrics) float64 { return float64(m.CarriersCreated) }, kCount},
	{"carriers_destroyed", "carriers-destroyed", func(m *Metrics) float64 { return float64(m.CarriersDestroyed) }, kCount},
	{"mseg_hit_rate", "mseg-hit-rate", func(m *Metrics) float64 { return float64(m.MsegHitRate) }, kRatio},
	{"pool_fetches", "pool-fetches", func(m *Metrics) float64 { return float64(m.PoolFetches) }, kCount},
}

// HumanBytes writes n bytes with a binary unit: 512 B, 64.0 KiB, 1.50 MiB.
func HumanBytes(n float64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%.0f B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", n/1024)
	case n < 1<<30:
		return fmt.Sprintf("%.2f MiB", n/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", n/(1<<30))
}

func fmtRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// exact writes v in its shortest exact form, NaN as NaN.
func exact(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Better says which way the ranking metric goes.
func (c *Comparison) Better() string {
	if c.Metric.HigherBetter {
		return "higher is better"
	}
	return "lower is better"
}

// TextTable returns the ranked table as rows of cells, headings first.
func (c *Comparison) TextTable() [][]string {
	head := []string{"rank", "config"}
	for _, col := range compareColumns {
		head = append(head, col.name)
	}
	rows := [][]string{head}
	for r, i := range c.Rank {
		run := &c.Runs[i]
		row := []string{strconv.Itoa(r + 1), run.Name}
		for _, col := range compareColumns {
			v := col.val(&run.Metrics)
			switch col.kind {
			case kSize:
				row = append(row, HumanBytes(v))
			case kCount:
				row = append(row, strconv.FormatFloat(v, 'f', 0, 64))
			default:
				row = append(row, fmtRatio(v))
			}
		}
		rows = append(rows, row)
	}
	return rows
}

// WriteText writes the summary, the ranked table and the configurations.
func (c *Comparison) WriteText(w io.Writer) error {
	t := &c.Trace
	fmt.Fprintf(w, "workload  %s (%s)\n", t.Name, t.Source)
	fmt.Fprintf(w, "          %d records, %d ns, %s", t.Records, t.Nanos, t.Mode)
	if t.BaseFlags != "" {
		fmt.Fprintf(w, ", base flags %q", t.BaseFlags)
	}
	fmt.Fprintf(w, "\nranked by %s: %s (%s)\n\n", c.Metric.Name, c.Metric.Doc, c.Better())
	rows := c.TextTable()
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for j, cell := range r {
			width[j] = max(width[j], len(cell))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for j, cell := range r {
			if j > 0 {
				b.WriteString("  ")
			}
			if j == 1 { // names left-aligned, numbers right-aligned
				fmt.Fprintf(&b, "%-*s", width[j], cell)
			} else {
				fmt.Fprintf(&b, "%*s", width[j], cell)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	fmt.Fprintln(w, "\nconfigurations")
	nw := 0
	for i := range c.Runs {
		nw = max(nw, len(c.Runs[i].Name))
	}
	for i := range c.Runs {
		_, err := fmt.Fprintf(w, "  %-*s  %s\n", nw, c.Runs[i].Name, c.Runs[i].Flags)
		if err != nil {
			return err
		}
	}
	return nil
}

// jsonRun is a run in the JSON output.
type jsonRun struct {
	Rank    int         `json:"rank"`
	Name    string      `json:"name"`
	Flags   string      `json:"flags"`
	Metrics Metrics     `json:"metrics"`
	Carrier []jsonCarry `json:"carriers"`
}

type jsonCarry struct {
	CarrierView
	Utilisation Ratio `json:"utilisation"`
}

// WriteJSON writes the comparison as one JSON object: the workload, the
// metric, and the runs best first with every metric and the final
// carriers (utilisation, largest free block, free-block histogram).
func (c *Comparison) WriteJSON(w io.Writer) error {
	out := struct {
		Trace  TraceSummary `json:"trace"`
		Metric string       `json:"metric"`
		Better string       `json:"better"`
		Runs   []jsonRun    `json:"runs"`
	}{Trace: c.Trace, Metric: c.Metric.Name, Better: c.Better()}
	for r, i := range c.Rank {
		run := &c.Runs[i]
		jr := jsonRun{Rank: r + 1, Name: run.Name, Flags: run.Flags, Metrics: run.Metrics, Carrier: []jsonCarry{}}
		if run.Map != nil {
			for _, cv := range run.Map.Carriers {
				jr.Carrier = append(jr.Carrier, jsonCarry{cv, Ratio(cv.Utilisation())})
			}
		}
		out.Runs = append(out.Runs, jr)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteCSV writes a header and one row per run, best first; numbers
// exact, NaN where a ratio has no value.
func (c *Comparison) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"rank", "config", "flags"}
	for _, col := range compareColumns {
		head = append(head, col.name)
	}
	cw.Write(head)
	for r, i := range c.Rank {
		run := &c.Runs[i]
		row := []string{strconv.Itoa(r + 1), run.Name, run.Flags}
		for _, col := range compareColumns {
			row = append(row, exact(col.val(&run.Metrics)))
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

// WriteBenchfmt writes the Go benchmark format benchstat reads: one line
// per configuration, in configuration order,
//
//	BenchmarkCompare/config=NAME 1 <value> <unit> ...
//
// preceded by key: value lines naming the workload and the metric.
func (c *Comparison) WriteBenchfmt(w io.Writer) error {
	fmt.Fprintf(w, "workload: %s\nmode: %s\nrank-metric: %s\n", oneLine(c.Trace.Name), oneLine(c.Trace.Mode), c.Metric.Name)
	for i := range c.Runs {
		run := &c.Runs[i]
		var b strings.Builder
		fmt.Fprintf(&b, "BenchmarkCompare/config=%s 1", run.Name)
		for _, col := range compareColumns {
			fmt.Fprintf(&b, " %s %s", exact(col.val(&run.Metrics)), col.unit)
		}
		b.WriteByte('\n')
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
