package reports

// The HTML report of a comparison: one self-contained page — the workload,
// the ranked table, the configurations, recon's view of the best one, the
// metric definitions and every chart as inline SVG. Nothing is fetched
// when it is viewed: no script, no external style sheet, font or image.
// scripts/check-html.sh opens it in headless Chromium and checks that
// every chart and table is there (elements with class "chart" and ids
// trace, metrics, configs, recon).

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"regexp"
)

type htmlChart struct {
	Name, Title string
	SVG         template.HTML
}

type htmlData struct {
	C       *Comparison
	Metrics [][]string
	Charts  []htmlChart
	Best    *Run
	Recon   []InstanceUsage
	Defs    []Metric
}

// xmlProlog matches what precedes <svg in vgsvg's output.
var xmlProlog = regexp.MustCompile(`(?s)^.*?(<svg)`)

// WriteHTML writes the report of c.
func WriteHTML(w io.Writer, c *Comparison) error {
	charts, err := Charts(c)
	if err != nil {
		return err
	}
	d := htmlData{C: c, Metrics: c.TextTable(), Defs: RankMetrics()}
	for i := range charts {
		b, err := charts[i].Render("svg")
		if err != nil {
			return fmt.Errorf("chart %s: %w", charts[i].Name, err)
		}
		b = xmlProlog.ReplaceAll(b, []byte("$1"))
		// The SVG is vgsvg's own output (text escaped by it), not input.
		d.Charts = append(d.Charts, htmlChart{charts[i].Name, charts[i].Title, template.HTML(b)})
	}
	if len(c.Rank) > 0 {
		d.Best = &c.Runs[c.Rank[0]]
		d.Recon = d.Best.Metrics.Recon.Instances
		if len(d.Recon) > 12 {
			d.Recon = d.Recon[:12]
		}
	}
	var b bytes.Buffer
	if err := htmlPage.Execute(&b, d); err != nil {
		return err
	}
	_, err = w.Write(b.Bytes())
	return err
}

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"bytes": func(n uint64) string { return HumanBytes(float64(n)) },
	"ratio": func(r Ratio) string { return fmtRatio(float64(r)) },
	"add1":  func(i int) int { return i + 1 },
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>alloclab compare: {{.C.Trace.Name}}</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
th { background: #f0f0f0; }
td.name, th.name { text-align: left; }
tr.best td { background: #eef6ee; }
figure.chart { margin: 1em 0 2em; }
div.wide { overflow-x: auto; }
figure.chart svg { max-width: 100%; height: auto; }
figcaption { font-weight: bold; margin-bottom: 0.3em; }
code { background: #f4f4f4; padding: 0 0.2em; }
</style>
</head>
<body>
<h1>alloclab compare</h1>
<h2>Workload</h2>
<table id="trace">
<tr><th class="name">workload</th><td class="name">{{.C.Trace.Name}}</td></tr>
<tr><th class="name">source</th><td class="name">{{.C.Trace.Source}}</td></tr>
<tr><th class="name">records</th><td class="name">{{.C.Trace.Records}} a/r/f records, {{.C.Trace.Nanos}} ns of trace time</td></tr>
<tr><th class="name">runs on</th><td class="name">{{.C.Trace.Mode}}</td></tr>
<tr><th class="name">base flags</th><td class="name"><code>{{.C.Trace.BaseFlags}}</code></td></tr>
<tr><th class="name">ranked by</th><td class="name">{{.C.Metric.Name}}: {{.C.Metric.Doc}} ({{.C.Better}})</td></tr>
</table>
<h2>Ranking</h2>
<div class="wide"><table id="metrics">
{{range $i, $row := .Metrics}}{{if eq $i 0}}<tr>{{range $j, $h := $row}}<th{{if eq $j 1}} class="name"{{end}}>{{$h}}</th>{{end}}</tr>
{{else}}<tr{{if eq $i 1}} class="best"{{end}}>{{range $j, $v := $row}}<td{{if eq $j 1}} class="name"{{end}}>{{$v}}</td>{{end}}</tr>
{{end}}{{end}}</table></div>
<h2>Configurations</h2>
<table id="configs">
<tr><th class="name">config</th><th class="name">flags</th></tr>
{{range .C.Runs}}<tr><td class="name">{{.Name}}</td><td class="name"><code>{{.Flags}}</code></td></tr>
{{end}}</table>
{{with .Best}}<h2>recon_alloc:fragmentation(current) of {{.Name}}</h2>{{end}}
<table id="recon">
<tr><th class="name">allocator</th><th>instance</th><th>mbcs_usage</th><th>mbcs_block_size</th><th>mbcs_carriers_size</th><th>sbcs_usage</th><th>sbcs_block_size</th><th>sbcs_carriers_size</th></tr>
{{range .Recon}}<tr><td class="name">{{.Allocator}}</td><td>{{.Instance}}</td><td>{{ratio .MbcsUsage}}</td><td>{{bytes .MbcsBlockSize}}</td><td>{{bytes .MbcsCarriersSize}}</td><td>{{ratio .SbcsUsage}}</td><td>{{bytes .SbcsBlockSize}}</td><td>{{bytes .SbcsCarriersSize}}</td></tr>
{{end}}</table>
<h2>Charts</h2>
{{range .Charts}}<figure class="chart" id="chart-{{.Name}}">
<figcaption>{{.Title}}</figcaption>
{{.SVG}}
</figure>
{{end}}
<h2>Metrics</h2>
<p>F is the footprint (carriers size), R the requested bytes (user bytes of the
trace's live blocks), U the used bytes (blocks size, headers included); ideal
= R rounded up to 4 KiB pages.</p>
<table id="definitions">
<tr><th class="name">metric</th><th class="name">definition</th></tr>
{{range .Defs}}<tr><td class="name">{{.Name}}</td><td class="name">{{.Doc}}{{if .HigherBetter}} (higher is better){{end}}</td></tr>
{{end}}</table>
</body>
</html>
`))
