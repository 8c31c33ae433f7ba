// Package reports turns the state of a simulated node into what people
// read: the alloclab-layout text the oracle prints (layout.go), and later
// statistics tables, JSON, CSV, Erlang terms and charts.
package reports

import (
	"bufio"
	"io"
	"slices"
	"strconv"

	"alloclab/carriers"
)

// Layout is the exact state of a set of carriers, in address order.
type Layout struct {
	heap     *carriers.Heap
	carriers []int32
}

// NewLayout collects the carriers each calls fn with, sorted by address.
func NewLayout(h *carriers.Heap, each func(fn func(c int32))) *Layout {
	l := &Layout{heap: h}
	each(func(c int32) { l.carriers = append(l.carriers, c) })
	slices.SortFunc(l.carriers, func(a, b int32) int {
		x, y := h.Carriers[a].Addr, h.Carriers[b].Addr
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	return l
}

// WriteTo writes the layout as "alloclab-layout 1"
// (../shared/oracle/README.md, "Formats"): one C line per carrier in
// ascending address order, a B line per block with its offset from the
// carrier start, its size and state, and an S line with the totals.
func (l *Layout) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	cw := &countWriter{w: bw}
	var mbcs, mbcsSize, sbcs, sbcsSize, blocks, blocksSize uint64
	buf := make([]byte, 0, 64)
	cw.WriteString("alloclab-layout 1\n")
	for n, c := range l.carriers {
		cr := &l.heap.Carriers[c]
		kind, src := "mbc", "mseg"
		if cr.SBC {
			kind = "sbc"
			sbcs++
			sbcsSize += cr.Size
		} else {
			mbcs++
			mbcsSize += cr.Size
		}
		if !cr.Mseg {
			src = "sys"
		}
		buf = append(buf[:0], "C "...)
		buf = strconv.AppendInt(buf, int64(n), 10)
		buf = append(buf, ' ')
		buf = append(buf, kind...)
		buf = append(buf, ' ')
		buf = append(buf, src...)
		buf = append(buf, ' ')
		buf = strconv.AppendUint(buf, cr.Size, 10)
		buf = append(buf, '\n')
		cw.Write(buf)
		for b := cr.First; b != carriers.Nil; b = l.heap.Blocks[b].Next {
			blk := &l.heap.Blocks[b]
			st := byte('a')
			if blk.Free() {
				st = 'f'
			} else {
				blocks++
				blocksSize += blk.Size()
			}
			buf = append(buf[:0], "B "...)
			buf = strconv.AppendInt(buf, int64(n), 10)
			buf = append(buf, ' ')
			buf = strconv.AppendUint(buf, blk.Addr-cr.Addr, 10)
			buf = append(buf, ' ')
			buf = strconv.AppendUint(buf, blk.Size(), 10)
			buf = append(buf, ' ', st, '\n')
			cw.Write(buf)
		}
	}
	buf = append(buf[:0], "S mbcs="...)
	buf = strconv.AppendUint(buf, mbcs, 10)
	buf = append(buf, " mbcs_size="...)
	buf = strconv.AppendUint(buf, mbcsSize, 10)
	buf = append(buf, " sbcs="...)
	buf = strconv.AppendUint(buf, sbcs, 10)
	buf = append(buf, " sbcs_size="...)
	buf = strconv.AppendUint(buf, sbcsSize, 10)
	buf = append(buf, " blocks="...)
	buf = strconv.AppendUint(buf, blocks, 10)
	buf = append(buf, " blocks_size="...)
	buf = strconv.AppendUint(buf, blocksSize, 10)
	buf = append(buf, '\n')
	cw.Write(buf)
	if cw.err == nil {
		cw.err = bw.Flush()
	}
	return cw.n, cw.err
}

type countWriter struct {
	w   *bufio.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
}

func (c *countWriter) WriteString(s string) { c.Write([]byte(s)) }
