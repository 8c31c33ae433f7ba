package refc

import (
	"maps"
	"slices"

	"alloclab/allocator"
	"alloclab/carriers"
)

// Table is an ETS table: rows in ets_alloc, each binary in a row one
// reference to its Binary (facts §3.2). ets:info(T, memory) counts the
// rows' words — ProcBins included, the binaries they pin never (facts
// §3.2: 50 MB pinned, the table reporting 0.58 MB).
type Table struct {
	ID      int
	Name    string
	Owner   *Process
	rows    map[uint64]*row
	deleted bool
	words   uint64
	node    *Node
}

type row struct {
	refs  []*Ref
	block int32
	words uint64
}

// rowOverheadWords is a hash table row's bookkeeping in ets_alloc: the
// HashDbTerm link and hash value and the DbTerm header (4 words), plus the
// row tuple's header and key (2 words); each further element is a word
// and its value's words. A 2-tuple {Key, Binary} whose binary is a ProcBin
// (6 words) is 13 words = 104 bytes; the facts' 536,187 rows measured
// 57.3 MB of ets:info memory ≈ 107 B a row, table overhead included
// (§5.4), which the model leaves out.
const rowOverheadWords = 6

// NewTable is ets:new owned by p (deleted when p exits).
func (n *Node) NewTable(owner *Process, name string) *Table {
	t := &Table{ID: len(n.tables), Name: name, Owner: owner, rows: map[uint64]*row{}, node: n}
	n.tables = append(n.tables, t)
	return t
}

// Rows is the number of rows.
func (t *Table) Rows() int { return len(t.rows) }

// MemoryWords is ets:info(T, memory): the rows' words.
func (t *Table) MemoryWords() uint64 { return t.words }

// Insert is ets:insert(T, {Key, Values...}) by process p: the row is
// copied into ets_alloc on p's scheduler; each refc binary or > 64-byte
// slice in it becomes the table's own reference (count + 1, a slice
// pinning its whole Binary), heap binaries are copied (facts §3.1: ≤
// 64-byte slices in ETS cost no binary memory). A row with the same key is
// replaced.
func (t *Table) Insert(p *Process, key uint64, vals ...*Ref) error {
	if t.deleted {
		return errorf("ets:insert: table %s was deleted", t.Name)
	}
	if err := p.checkAlive("ets:insert"); err != nil {
		return err
	}
	rw := &row{words: rowOverheadWords + uint64(len(vals))}
	for _, v := range vals {
		if v.owner != p || !v.live {
			return errorf("ets:insert: %s does not hold a binary it inserts", p.PidString())
		}
		if err := t.node.emasculate(v, p.Sched); err != nil {
			return err
		}
		c := &Ref{Bin: v.Bin, Size: v.Size, Words: procBinWords, live: true}
		if v.Bin == NoBin {
			c.Words = v.Words
		}
		rw.words += c.Words
		rw.refs = append(rw.refs, c)
	}
	b, err := t.node.Sys.Alloc(allocator.ETS, p.Sched, rw.words*wordSize, key)
	if err != nil || b == carriers.Nil {
		return errorf("ets_alloc cannot allocate a %d-word row", rw.words)
	}
	rw.block = b
	for _, c := range rw.refs {
		t.node.incr(c.Bin)
	}
	if old := t.rows[key]; old != nil {
		t.drop(old, p.Sched)
	}
	t.rows[key] = rw
	t.words += rw.words
	return nil
}

// Delete is ets:delete(T, Key) by process p.
func (t *Table) Delete(p *Process, key uint64) {
	if rw := t.rows[key]; rw != nil && !t.deleted {
		t.drop(rw, p.Sched)
		delete(t.rows, key)
	}
}

// DeleteTable is ets:delete(T) by process p.
func (t *Table) DeleteTable(p *Process) {
	if !t.deleted {
		t.deleteAll(p.Sched)
	}
}

func (t *Table) deleteAll(sched uint32) {
	// In key order: the frees' order shapes the allocator's state, and
	// the simulation must be deterministic.
	for _, k := range slices.Sorted(maps.Keys(t.rows)) {
		t.drop(t.rows[k], sched)
	}
	t.rows = nil
	t.deleted = true
}

func (t *Table) drop(rw *row, sched uint32) {
	for _, c := range rw.refs {
		t.node.decr(c.Bin, sched)
	}
	if err := t.node.Sys.Free(rw.block, sched); err != nil {
		panic(err)
	}
	t.words -= rw.words
}

// Deleted reports whether the table is gone.
func (t *Table) Deleted() bool { return t.deleted }
