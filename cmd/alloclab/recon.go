package main

// recon_alloc's standard analyses of a simulated node, for replay's
// --recon: the questions an operator asks a live node with recon, asked of
// the node the trace leaves behind (reports.SnapshotOf takes the snapshot).
//
// Formats:
//
//	erlang  each call as a comment and the term recon returns, printed as
//	        the shell prints it, so it can be diffed against a live node:
//	            %% recon_alloc:memory(used, current)
//	            9071936.
//	json    one object keyed by the call ("memory(used, current)"), the
//	        values in reports/recon_format.go's JSON shapes
//	text    an aligned summary: sizes in bytes, usage and hit rates as
//	        percentages, lists in recon's order (fragmentation by unused
//	        carrier bytes, most first)
//
// Where recon would raise (memory(usage) with nothing allocated is
// badarith) the call is reported as raising and the others still are:
// "%% raises badarith: ..." in erlang, {"error": "badarith", "detail":
// ...} in json, "raises badarith" in text.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"alloclab/reports"
)

// reconCall is one recon_alloc call.
type reconCall struct {
	name string // as written in the erlang shell, without recon_alloc:
	run  func(r *reports.Recon) (reports.ReconResult, error)
}

// reconMemory is memory(Key, Kw).
func reconMemory(key string, kw reports.Keyword) reconCall {
	return reconCall{fmt.Sprintf("memory(%s, %s)", key, kw), func(r *reports.Recon) (reports.ReconResult, error) {
		return r.Memory(key, kw)
	}}
}

// reconCalls are the analyses --recon prints, in this order.
var reconCalls = []reconCall{
	reconMemory("used", reports.Current),
	reconMemory("used", reports.Max),
	reconMemory("allocated", reports.Current),
	reconMemory("allocated", reports.Max),
	reconMemory("unused", reports.Current),
	reconMemory("unused", reports.Max),
	reconMemory("usage", reports.Current),
	reconMemory("usage", reports.Max),
	reconMemory("allocated_types", reports.Current),
	reconMemory("allocated_instances", reports.Current),
	{"fragmentation(current)", func(r *reports.Recon) (reports.ReconResult, error) {
		return r.Fragmentation(reports.Current)
	}},
	{"fragmentation(max)", func(r *reports.Recon) (reports.ReconResult, error) {
		return r.Fragmentation(reports.Max)
	}},
	{"average_block_sizes(current)", func(r *reports.Recon) (reports.ReconResult, error) {
		return r.AverageBlockSizes(reports.Current)
	}},
	{"sbcs_to_mbcs(current)", func(r *reports.Recon) (reports.ReconResult, error) {
		return r.SbcsToMbcs(reports.Current)
	}},
	{"cache_hit_rates()", func(r *reports.Recon) (reports.ReconResult, error) {
		return r.CacheHitRates()
	}},
}

// reconOutcome is a call's answer, or the error recon would raise.
type reconOutcome struct {
	name  string
	res   reports.ReconResult
	raise *reports.ReconError
}

// reconRun asks every call of the snapshot, in bytes. An error that is not
// one recon raises is returned.
func reconRun(snap *reports.Snapshot) ([]reconOutcome, error) {
	r := &reports.Recon{Snapshot: snap, Unit: reports.Byte}
	out := make([]reconOutcome, 0, len(reconCalls))
	for _, c := range reconCalls {
		res, err := c.run(r)
		o := reconOutcome{name: c.name, res: res}
		if err != nil {
			if !errors.As(err, &o.raise) {
				return nil, fmt.Errorf("recon_alloc:%s: %w", c.name, err)
			}
			o.res = nil
		}
		out = append(out, o)
	}
	return out, nil
}

// writeRecon prints recon_alloc's standard analyses of snap in format
// "erlang", "json" or "text". Nothing is written when it fails.
func writeRecon(w io.Writer, snap *reports.Snapshot, format string) error {
	outs, err := reconRun(snap)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	switch format {
	case "erlang":
		writeReconErlang(&b, outs)
	case "json":
		if err := writeReconJSON(&b, outs); err != nil {
			return err
		}
	case "text":
		writeReconText(&b, snap, outs)
	default:
		return userErrorf("recon: unknown format %q: want erlang, json or text", format)
	}
	_, err = w.Write(b.Bytes())
	return err
}

func writeReconErlang(b *bytes.Buffer, outs []reconOutcome) {
	for _, o := range outs {
		fmt.Fprintf(b, "%%%% recon_alloc:%s\n", o.name)
		if o.raise != nil {
			fmt.Fprintf(b, "%%%% raises %s: %s\n", o.raise.Reason, o.raise.Detail)
			continue
		}
		b.WriteString(reports.FormatErlang(o.res))
		b.WriteString(".\n")
	}
}

func writeReconJSON(b *bytes.Buffer, outs []reconOutcome) error {
	var compact bytes.Buffer
	compact.WriteByte('{')
	for i, o := range outs {
		if i > 0 {
			compact.WriteByte(',')
		}
		k, _ := json.Marshal(o.name)
		compact.Write(k)
		compact.WriteByte(':')
		var v []byte
		var err error
		if o.raise != nil {
			v, err = json.Marshal(struct {
				Error  string `json:"error"`
				Detail string `json:"detail"`
			}{o.raise.Reason, o.raise.Detail})
		} else {
			v, err = json.Marshal(o.res)
		}
		if err != nil {
			return fmt.Errorf("recon_alloc:%s: %w", o.name, err)
		}
		compact.Write(v)
	}
	compact.WriteByte('}')
	if err := json.Indent(b, compact.Bytes(), "", "  "); err != nil {
		return err
	}
	b.WriteByte('\n')
	return nil
}

// ---------------------------------------------------------------------------
// text

// reconTable is an aligned table: the first left columns left-aligned,
// the others right-aligned, two spaces apart.
type reconTable struct {
	left int
	rows [][]string // rows[0] is the header
}

func (t *reconTable) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *reconTable) write(b *bytes.Buffer) {
	var width []int
	for _, r := range t.rows {
		for i, c := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], len(c))
		}
	}
	for _, r := range t.rows {
		var line strings.Builder
		for i, c := range r {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-len(c))
			if i < t.left {
				line.WriteString(c + pad)
			} else {
				line.WriteString(pad + c)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}

// reconNum is a number in the text summary: an integer as it is, a float
// with two decimals.
func reconNum(n reports.Num) string {
	if !n.IsFloat() {
		return n.String()
	}
	return strconv.FormatFloat(n.Float64(), 'f', 2, 64)
}

// reconPercent is a ratio as a percentage.
func reconPercent(n reports.Num) string {
	return strconv.FormatFloat(n.Float64()*100, 'f', 2, 64) + "%"
}

func writeReconText(b *bytes.Buffer, snap *reports.Snapshot, outs []reconOutcome) {
	by := map[string]reconOutcome{}
	for _, o := range outs {
		by[o.name] = o
	}
	util, mseg := 0, 0
	for i := range snap.Instances {
		switch a := snap.Instances[i].Allocator; {
		case slices.Contains(reports.UtilAllocators, a):
			util++
		case a == "mseg_alloc":
			mseg++
		}
	}
	fmt.Fprintf(b, "recon_alloc: %d instances of UTIL_ALLOCATORS, %d of mseg_alloc; sizes in bytes\n", util, mseg)

	// memory(used|allocated|unused|usage, current|max)
	b.WriteString("\n")
	t := &reconTable{left: 1}
	t.add("memory", "current", "max")
	for _, key := range []string{"used", "allocated", "unused", "usage"} {
		row := []string{key}
		for _, kw := range []reports.Keyword{reports.Current, reports.Max} {
			o := by[fmt.Sprintf("memory(%s, %s)", key, kw)]
			switch {
			case o.raise != nil:
				row = append(row, "raises "+o.raise.Reason)
			case key == "usage":
				row = append(row, reconPercent(o.res.(reports.Num)))
			default:
				row = append(row, reconNum(o.res.(reports.Num)))
			}
		}
		t.add(row...)
	}
	t.write(b)

	section := func(name, note string) (reconOutcome, bool) {
		o := by[name]
		fmt.Fprintf(b, "\n%s%s\n", name, note)
		if o.raise != nil {
			fmt.Fprintf(b, "raises %s: %s\n", o.raise.Reason, o.raise.Detail)
			return o, false
		}
		return o, true
	}

	if o, ok := section("memory(allocated_types, current)", ": carrier bytes per allocator"); ok {
		t := &reconTable{left: 1}
		t.add("allocator", "bytes")
		for _, e := range o.res.(reports.AllocatedTypes) {
			t.add(e.Allocator, reconNum(e.Bytes))
		}
		t.write(b)
	}
	if o, ok := section("memory(allocated_instances, current)", ": carrier bytes per instance number (0: non-scheduler threads)"); ok {
		t := &reconTable{left: 1}
		t.add("instance", "bytes")
		for _, e := range o.res.(reports.AllocatedInstances) {
			t.add(strconv.Itoa(e.Instance), reconNum(e.Bytes))
		}
		t.write(b)
	}
	for _, kw := range []string{"current", "max"} {
		o, ok := section("fragmentation("+kw+")", ": most unused carrier bytes first")
		if !ok {
			continue
		}
		t := &reconTable{left: 2}
		t.add("allocator", "instance", "mbcs_usage", "mbcs_block_size", "mbcs_carriers_size",
			"sbcs_usage", "sbcs_block_size", "sbcs_carriers_size", "unused")
		for _, e := range o.res.(reports.Fragmentation) {
			t.add(e.Allocator, strconv.Itoa(e.Instance), reconPercent(e.MbcsUsage), reconNum(e.MbcsBlockSize),
				reconNum(e.MbcsCarriersSize), reconPercent(e.SbcsUsage), reconNum(e.SbcsBlockSize),
				reconNum(e.SbcsCarriersSize), strconv.FormatFloat(e.Weight, 'f', 0, 64))
		}
		t.write(b)
	}
	if o, ok := section("average_block_sizes(current)", ": bytes per block"); ok {
		t := &reconTable{left: 1}
		t.add("allocator", "mbcs", "sbcs")
		for _, e := range o.res.(reports.AverageBlockSizes) {
			t.add(e.Allocator, reconNum(e.MBCS), reconNum(e.SBCS))
		}
		t.write(b)
	}
	if o, ok := section("sbcs_to_mbcs(current)", ": single-block carrier blocks per multiblock carrier block"); ok {
		t := &reconTable{left: 2}
		t.add("allocator", "instance", "ratio")
		for _, e := range o.res.(reports.SbcsToMbcs) {
			r := "infinity"
			if !e.Infinity {
				r = reconNum(e.Ratio)
			}
			t.add(e.Allocator, strconv.Itoa(e.Instance), r)
		}
		t.write(b)
	}
	if o, ok := section("cache_hit_rates()", ": mseg_alloc segment cache, most misses first"); ok {
		t := &reconTable{left: 1}
		t.add("mseg_alloc", "hit_rate", "hits", "calls")
		for _, e := range o.res.(reports.CacheHitRates) {
			t.add(strconv.Itoa(e.Instance), reconPercent(e.HitRate), reconNum(e.Hits), reconNum(e.Calls))
		}
		t.write(b)
	}
}
