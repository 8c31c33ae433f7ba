package refc

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Diagnosis says in plain words where erlang:memory(binary) goes: which
// processes retain dead references and what a collection would free,
// what ETS tables and mailboxes pin, and how much is pinned through
// slices. Bytes are binary_alloc block bytes (what erlang:memory(binary)
// counts, facts §4), not payload sizes.
type Diagnosis struct {
	Binary   uint64 // erlang:memory(binary) as the allocators report it now
	Binaries int    // live Binaries
	// Garbage is the bytes of binaries nothing reachable refers to: a
	// collection of every process in GarbageBy frees them.
	Garbage   uint64
	GarbageBy []Holder
	// Shared is the part of Garbage whose dead references sit in more
	// than one process: only collecting all of them frees it.
	Shared uint64
	// Live is the bytes of binaries something reachable refers to.
	Live   uint64
	LiveBy []Holder
	Tables []TableHold
	// Queued is the bytes of binaries referenced only from messages not
	// yet received; QueuedBy the mailboxes.
	Queued   uint64
	QueuedBy []Holder
	// SlicePinned is the bytes of binaries whose every live reference is
	// a slice (a > 64-byte part): SliceBytes bytes are visible through
	// them; binary:copy/1 of the slices would keep only those.
	// SliceCopies is what those copies would cost.
	SlicePinned, SliceBytes, SliceCopies uint64
	SliceBins                            int
}

// Holder is one process's share.
type Holder struct {
	Pid       int
	Name      string
	Cur, Init MFA
	Refs      int    // references (dead ones for garbage, live ones for live)
	Bytes     uint64 // block bytes of the binaries they refer to
	Frees     uint64 // bytes a collection of this process alone frees
	QueueLen  int
}

// TableHold is an ETS table's share.
type TableHold struct {
	Name        string
	Rows, Refs  int
	Bytes       uint64 // block bytes of the binaries its rows refer to
	Visible     uint64 // bytes visible through those references
	MemoryWords uint64 // ets:info(T, memory)
}

type holding struct {
	live, dead, queued int
	procsDead          map[*Process]int
	procsLive          map[*Process]int
	procsQueued        map[*Process]int
	tables             map[*Table]int
	maxVisible         uint64
	visible, copyCost  uint64 // Σ over live references: bytes shown, and what binary:copy/1 of each would cost
	slicesOnly         bool
}

// Diagnose inspects the node without changing it.
func (n *Node) Diagnose() Diagnosis {
	hs := make([]holding, len(n.bins))
	get := func(id BinID) *holding {
		h := &hs[id]
		if h.procsDead == nil {
			h.procsDead, h.procsLive, h.procsQueued, h.tables = map[*Process]int{}, map[*Process]int{}, map[*Process]int{}, map[*Table]int{}
			h.slicesOnly = true
		}
		return h
	}
	liveRef := func(h *holding, id BinID, size uint64) {
		h.live++
		h.maxVisible = max(h.maxVisible, size)
		h.visible += size
		if size > onHeapBinLimit {
			// A copy costs the payload and this node's per-binary overhead
			// (40 bytes with atags, facts §3.1), measured on this binary.
			b := &n.bins[id]
			h.copyCost += (size+7)/8*8 + n.blockBytes(b.Block) - (b.Size+7)/8*8 - b.Extra
		}
		if size >= n.bins[id].Len {
			h.slicesOnly = false
		}
	}
	for _, p := range n.procs {
		if p.dead {
			continue
		}
		for _, r := range p.offheap {
			h := get(r.Bin)
			if r.reachable() {
				h.procsLive[p]++
				size := r.pinned // only sub-binaries keep it
				if r.live {
					size = max(r.Size, n.bins[r.Bin].Len) // the ProcBin itself is used
					if r.Size < n.bins[r.Bin].Len {
						size = r.Size // a received slice
					}
				}
				liveRef(h, r.Bin, size)
			} else {
				h.dead++
				h.procsDead[p]++
			}
		}
		for _, m := range p.queue {
			if m.inHeap {
				continue
			}
			for _, r := range m.Refs {
				if r.Bin != NoBin {
					h := get(r.Bin)
					h.queued++
					h.procsQueued[p]++
					liveRef(h, r.Bin, r.Size)
				}
			}
		}
	}
	for _, t := range n.tables {
		if t.deleted {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(t.rows)) {
			for _, r := range t.rows[k].refs {
				if r.Bin != NoBin {
					h := get(r.Bin)
					h.tables[t]++
					liveRef(h, r.Bin, r.Size)
				}
			}
		}
	}
	var d Diagnosis
	d.Binary = n.Memory().Binary
	garbage := map[*Process]*Holder{}
	live := map[*Process]*Holder{}
	queued := map[*Process]*Holder{}
	tables := map[*Table]*TableHold{}
	holder := func(m map[*Process]*Holder, p *Process) *Holder {
		h := m[p]
		if h == nil {
			h = &Holder{Pid: p.Pid, Name: p.Name, Cur: p.Func, Init: p.Init, QueueLen: len(p.queue)}
			m[p] = h
		}
		return h
	}
	for id := range n.bins {
		bin := &n.bins[id]
		if bin.Block < 0 {
			continue
		}
		d.Binaries++
		bytes := n.blockBytes(bin.Block)
		h := &hs[id]
		if h.procsDead == nil {
			continue // referenced from nowhere the model walks (cannot happen)
		}
		if h.live == 0 {
			d.Garbage += bytes
			if len(h.procsDead) > 1 {
				d.Shared += bytes
			}
			for p, c := range h.procsDead {
				g := holder(garbage, p)
				g.Refs += c
				g.Bytes += bytes
				if len(h.procsDead) == 1 {
					g.Frees += bytes
				}
			}
			continue
		}
		d.Live += bytes
		if h.queued == h.live {
			d.Queued += bytes
		}
		for p, c := range h.procsQueued {
			q := holder(queued, p)
			q.Refs += c
			q.Bytes += bytes
		}
		for p, c := range h.procsLive {
			l := holder(live, p)
			l.Refs += c
			l.Bytes += bytes
		}
		for t, c := range h.tables {
			th := tables[t]
			if th == nil {
				th = &TableHold{Name: t.Name, Rows: len(t.rows), MemoryWords: t.words}
				tables[t] = th
			}
			th.Refs += c
			th.Bytes += bytes
			th.Visible += uint64(c) * h.maxVisible // (the largest part shown: rows show one each)
		}
		if h.slicesOnly {
			d.SlicePinned += bytes
			d.SliceBytes += h.visible
			d.SliceCopies += h.copyCost
			d.SliceBins++
		}
	}
	d.GarbageBy = sortHolders(garbage)
	d.LiveBy = sortHolders(live)
	d.QueuedBy = sortHolders(queued)
	for _, t := range tables {
		d.Tables = append(d.Tables, *t)
	}
	slices.SortFunc(d.Tables, func(a, b TableHold) int { return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Name, b.Name)) })
	return d
}

func sortHolders(m map[*Process]*Holder) []Holder {
	out := make([]Holder, 0, len(m))
	for _, h := range m {
		out = append(out, *h)
	}
	slices.SortFunc(out, func(a, b Holder) int { return cmp.Or(cmp.Compare(b.Bytes, a.Bytes), cmp.Compare(a.Pid, b.Pid)) })
	return out
}

// MiB formats bytes as "123.4 MiB".
func MiB(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// Bytes formats an integer with thousands separators.
func Bytes(b uint64) string {
	s := fmt.Sprint(b)
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func pct(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func who(h Holder) string {
	if h.Name != "" {
		return fmt.Sprintf("<0.%d.0> (%s)", h.Pid, h.Name)
	}
	return fmt.Sprintf("<0.%d.0> %v", h.Pid, h.Cur)
}

// Text is the diagnosis in plain words, at most top processes named per
// finding.
func (d Diagnosis) Text(top int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "erlang:memory(binary) is %s bytes (%s) in %s refc binaries.\n", Bytes(d.Binary), MiB(d.Binary), Bytes(uint64(d.Binaries)))
	if d.Binary == 0 {
		return b.String()
	}
	if d.Garbage > 0 {
		fmt.Fprintf(&b, "- %s bytes (%.1f%%) are binaries nothing reachable refers to: %d processes keep dead references because they have not collected since; a GC of them frees it all (recon:bin_leak/1 does; hibernate or a periodic erlang:garbage_collect/0 in their loop keeps it from piling up).\n",
			Bytes(d.Garbage), pct(d.Garbage, d.Binary), len(d.GarbageBy))
		listHolders(&b, d.GarbageBy, top, "dead references", true)
		if d.Shared > 0 {
			fmt.Fprintf(&b, "  %s bytes of it have dead references in several processes: only when all of them collect is it freed.\n", Bytes(d.Shared))
		}
	}
	if d.Live > 0 {
		fmt.Fprintf(&b, "- %s bytes (%.1f%%) are referenced by live data, which no GC frees.\n", Bytes(d.Live), pct(d.Live, d.Binary))
		listHolders(&b, d.LiveBy, top, "live references", false)
	}
	for i, t := range d.Tables {
		if i == top {
			fmt.Fprintf(&b, "  ... and %d more tables\n", len(d.Tables)-top)
			break
		}
		fmt.Fprintf(&b, "  ETS table %s (%d rows, ets:info memory %s bytes) pins %s bytes through %d references showing %s bytes.\n",
			t.Name, t.Rows, Bytes(t.MemoryWords*wordSize), Bytes(t.Bytes), t.Refs, Bytes(t.Visible))
	}
	if d.Queued > 0 {
		fmt.Fprintf(&b, "- %s bytes are only in messages not yet received (invisible to process_info(P, binary) and to recon; no GC frees them):\n", Bytes(d.Queued))
		for i, h := range d.QueuedBy {
			if i == top {
				fmt.Fprintf(&b, "  ... and %d more mailboxes\n", len(d.QueuedBy)-top)
				break
			}
			fmt.Fprintf(&b, "  %s: message_queue_len %d, %s bytes\n", who(h), h.QueueLen, Bytes(h.Bytes))
		}
	}
	if d.SlicePinned > 0 {
		fmt.Fprintf(&b, "- %s bytes in %d binaries are kept alive only through slices showing %s bytes (binary:referenced_byte_size/1 is the whole binary): binary:copy/1 of the slices where they are stored would cost %s bytes and free %s.\n",
			Bytes(d.SlicePinned), d.SliceBins, Bytes(d.SliceBytes), Bytes(d.SliceCopies), Bytes(d.SlicePinned-min(d.SlicePinned, d.SliceCopies)))
	}
	return b.String()
}

func listHolders(b *strings.Builder, hs []Holder, top int, what string, frees bool) {
	for i, h := range hs {
		if i == top {
			fmt.Fprintf(b, "  ... and %d more processes\n", len(hs)-top)
			break
		}
		fmt.Fprintf(b, "  %s: %d %s to %s bytes", who(h), h.Refs, what, Bytes(h.Bytes))
		if frees {
			fmt.Fprintf(b, "; its GC alone frees %s bytes", Bytes(h.Frees))
		}
		b.WriteString("\n")
	}
}
