package reports

import (
	"bytes"
	"html"
	"regexp"
	"strings"
	"testing"
)

// The report holds every table and every chart inline, and refers to
// nothing outside itself.
func TestHTMLReport(t *testing.T) {
	c := chartComparison()
	var b bytes.Buffer
	if err := WriteHTML(&b, c); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, id := range []string{`id="trace"`, `id="metrics"`, `id="configs"`, `id="recon"`, `id="definitions"`} {
		if !strings.Contains(page, id) {
			t.Errorf("no table %s", id)
		}
	}
	charts, _ := Charts(c)
	figs := regexp.MustCompile(`(?s)<figure class="chart" id="chart-([^"]+)">\s*<figcaption>[^<]+</figcaption>\s*<svg `).FindAllStringSubmatch(page, -1)
	if len(figs) != len(charts) {
		t.Errorf("%d inline charts, want %d", len(figs), len(charts))
	}
	for _, bad := range []string{"<script", "<link", " src=", "<?xml", "@import", "url("} {
		if strings.Contains(page, bad) {
			t.Errorf("the report contains %q", bad)
		}
	}
	// Every href is an in-document one (none today) and every http URL an
	// XML namespace.
	for _, m := range regexp.MustCompile(`https?://[^"\s]+`).FindAllString(page, -1) {
		if m != "http://www.w3.org/2000/svg" && m != "http://www.w3.org/1999/xlink" {
			t.Errorf("external reference %s", m)
		}
	}
	// The ranked table: a heading row and one row per configuration.
	metrics := page[strings.Index(page, `id="metrics"`):]
	metrics = metrics[:strings.Index(metrics, "</table>")]
	if n := strings.Count(metrics, "<tr"); n != len(c.Runs)+1 {
		t.Errorf("ranked table: %d rows", n)
	}
	if text := html.UnescapeString(page); !strings.Contains(text, "+Muas aoffcbf") || !strings.Contains(text, "hand-made") {
		t.Error("configurations or workload missing")
	}
}
