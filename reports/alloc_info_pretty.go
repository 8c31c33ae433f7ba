package reports

// The ~p writer: io_lib_pretty's layout, so that a term printed here is
// byte for byte what io:format("~p", [Term]) prints in OTP 25 — what
// recon_alloc:snapshot_save/1 writes (io_lib:format("~p.~n")) and what an
// operator sees in the shell for recon's results.
//
// The algorithm, for the term kinds allocator statistics have (atoms,
// numbers, strings, tuples, proper lists; no depth or character limits):
//
//  1. Every subterm gets its one-line length ("len"), commas and brackets
//     included. Atomic subterms — atoms, numbers, strings, [] and {} — are
//     "ATM": they may share a line with their neighbours.
//  2. A term that fits in what is left of the line (len < 80 − column) is
//     written on one line.
//  3. Otherwise a list or a plain tuple puts its first element after the
//     bracket and each following element after ",": on the same line when
//     the element is atomic and fits, else on a new line aligned with the
//     first element. A tagged tuple ({atom, ...}) puts its first value
//     after "{tag," when the tag is short; when the tag is longer than the
//     "tag indentation" (TInd) the values go on new lines indented TInd
//     columns from the "{" — which is how `{mbcs,` ends a line and its list
//     starts four columns in.
//  4. TInd is chosen once per print: -1 (never break after a tag) if
//     that keeps every nested indentation within half the line or room for
//     the whole term; else 4; else 1.
//
// The conditions below keep io_lib_pretty's exact inequalities (Ll is the
// line length 80, M the total length of the term, LD the number of closing
// brackets that will follow the last element, W the width already used on
// the line), so that corner cases break lines where Erlang does;
// TestPrettyMatchesErlang checks random terms against a real erl.

import "strings"

// lineLength is ~p's default field width.
const lineLength = 80

// ppNode is io_lib_pretty's intermediate format for one subterm.
type ppNode struct {
	atomic bool      // written as text (atom, number, string, [], {})
	text   string    // atomic: its text
	tuple  bool      // composite: tuple (else list)
	tagged bool      // tuple whose first element is an atom, size ≥ 2
	elems  []*ppNode // composite: elements
	len    int       // one-line length
}

func ppIntermediate(t Term) *ppNode {
	switch t := t.(type) {
	case Atom, Int, Float:
		s := WriteTerm(t)
		return &ppNode{atomic: true, text: s, len: runeLen(s)}
	case Tuple:
		if len(t.Elems) == 0 {
			return &ppNode{atomic: true, text: "{}", len: 2}
		}
		n := &ppNode{tuple: true}
		_, first := t.Elems[0].(Atom)
		n.tagged = first && len(t.Elems) > 1
		n.elems, n.len = ppElems(t.Elems)
		return n
	}
	elems, _ := listElems(t)
	if len(elems) == 0 {
		return &ppNode{atomic: true, text: "[]", len: 2}
	}
	if s, ok := printableLatin1(elems); ok {
		q := quoteString(s)
		return &ppNode{atomic: true, text: q, len: runeLen(q)}
	}
	n := &ppNode{}
	n.elems, n.len = ppElems(elems)
	return n
}

func ppElems(ts []Term) ([]*ppNode, int) {
	out := make([]*ppNode, len(ts))
	l := 2 + len(ts) - 1 // brackets and commas
	for i, e := range ts {
		out[i] = ppIntermediate(e)
		l += out[i].len
	}
	return out, l
}

func runeLen(s string) int { return len([]rune(s)) }

// write is the node on one line.
func (n *ppNode) write(b *strings.Builder) {
	if n.atomic {
		b.WriteString(n.text)
		return
	}
	open, close := byte('['), byte(']')
	if n.tuple {
		open, close = '{', '}'
	}
	b.WriteByte(open)
	for i, e := range n.elems {
		if i > 0 {
			b.WriteByte(',')
		}
		e.write(b)
	}
	b.WriteByte(close)
}

// PrettyTerm returns t as io:format("~p", [T]) prints it starting at
// column col (1 = the start of a line).
func PrettyTerm(t Term, col int) string {
	if col < 1 {
		col = 1
	}
	n := ppIntermediate(t)
	var b strings.Builder
	if n.atomic {
		b.WriteString(n.text)
		return b.String()
	}
	pr := &pretty{ll: lineLength, m: n.len, b: &b}
	if n.len < pr.ll-col {
		n.write(&b)
		return b.String()
	}
	tind := 1
	for _, try := range []int{-1, 4} {
		if pr.cindOK(n, col, try) {
			tind = try
			break
		}
	}
	pr.tind = tind
	pr.pp(n, col, strings.Repeat(" ", col-1), 0, 0)
	return b.String()
}

type pretty struct {
	ll, m, tind int
	b           *strings.Builder
}

func lastDepth(more bool, ld int) int {
	if more {
		return 0
	}
	return ld + 1
}

// fits is io_lib_pretty's "Len < Ll - Col - LD, Len + W + LD =< M".
func (p *pretty) fits(n *ppNode, col, ld, w int) bool {
	return n.len < p.ll-col-ld && n.len+w+ld <= p.m
}

// tailFits is the condition for putting element n on the current line
// after a comma (pp_tail/cind_tail).
func (p *pretty) tailFits(n *ppNode, col, ld1, w int) bool {
	elen := 1 + n.len
	if !n.atomic {
		return false
	}
	if ld1 == 0 {
		return elen+1 < p.ll-col && w+elen+1 <= p.m
	}
	return elen < p.ll-col-ld1 && w+elen+ld1 <= p.m
}

func (p *pretty) pp(n *ppNode, col int, ind string, ld, w int) {
	if p.fits(n, col, ld, w) || n.atomic {
		n.write(p.b)
		return
	}
	switch {
	case !n.tuple:
		p.b.WriteByte('[')
		p.ppList(n.elems, col+1, ind+" ", ld, w+1)
		p.b.WriteByte(']')
	case n.tagged:
		p.b.WriteByte('{')
		p.ppTagTuple(n.elems, col, ind, ld, w+1)
		p.b.WriteByte('}')
	default:
		p.b.WriteByte('{')
		p.ppList(n.elems, col+1, ind+" ", ld, w+1)
		p.b.WriteByte('}')
	}
}

func (p *pretty) ppTagTuple(elems []*ppNode, col int, ind string, ld, w int) {
	tag := elems[0]
	tagInd := tag.len + 2
	tcol := col + tagInd
	if p.tind > 0 && tagInd > p.tind {
		col1 := col + p.tind
		p.b.WriteString(tag.text)
		p.ppTail(elems[1:], col1, tcol, ind+strings.Repeat(" ", p.tind), ld, w+tag.len)
		return
	}
	p.b.WriteString(tag.text)
	p.b.WriteByte(',')
	p.ppList(elems[1:], tcol, ind+strings.Repeat(" ", tagInd), ld, w+tag.len+1)
}

func (p *pretty) ppList(elems []*ppNode, col0 int, ind string, ld, w int) {
	we := p.ppElement(elems[0], col0, ind, lastDepth(len(elems) > 1, ld), w)
	p.ppTail(elems[1:], col0, col0+we, ind, ld, w+we)
}

func (p *pretty) ppTail(elems []*ppNode, col0, col int, ind string, ld, w int) {
	for i, e := range elems {
		ld1 := lastDepth(i+1 < len(elems), ld)
		if p.tailFits(e, col, ld1, w) {
			p.b.WriteByte(',')
			e.write(p.b)
			col += 1 + e.len
			w += 1 + e.len
			continue
		}
		p.b.WriteString(",\n")
		p.b.WriteString(ind)
		we := p.ppElement(e, col0, ind, ld1, 0)
		col = col0 + we
		w = we
	}
}

// ppElement prints one element and returns the width it takes, or the
// line length when it forces a line break after it.
func (p *pretty) ppElement(n *ppNode, col int, ind string, ld, w int) int {
	if n.atomic && p.fits(n, col, ld, w) {
		n.write(p.b)
		return n.len
	}
	p.pp(n, col, ind, ld, w)
	return p.ll
}

// cindOK is io_lib_pretty's cind/7 for one candidate TInd: false where it
// throws no_good (an indentation beyond half the line without room for
// the whole term).
func (p *pretty) cindOK(n *ppNode, col, tind int) (ok bool) {
	c := &cind{ll: p.ll, m: p.m, ind: tind}
	defer func() {
		if r := recover(); r != nil {
			if r != errNoGood {
				panic(r)
			}
			ok = false
		}
	}()
	c.cind(n, col, 0, 0)
	return true
}

type noGood struct{}

var errNoGood = &noGood{}

type cind struct{ ll, m, ind int }

func (c *cind) fits(n *ppNode, col, ld, w int) bool {
	return n.len < c.ll-col-ld && n.len+w+ld <= c.m
}

func (c *cind) cind(n *ppNode, col, ld, w int) {
	if c.fits(n, col, ld, w) || n.atomic {
		return
	}
	switch {
	case !n.tuple:
		c.list(n.elems, col+1, ld, w+1)
	case n.tagged:
		c.tagTuple(n.elems, col, ld, w+1)
	default:
		c.list(n.elems, col+1, ld, w+1)
	}
}

func (c *cind) tagTuple(elems []*ppNode, col, ld, w int) {
	tlen := elems[0].len
	tagInd := tlen + 2
	tcol := col + tagInd
	if c.ind > 0 && tagInd > c.ind {
		col1 := col + c.ind
		if c.m+col1 <= c.ll || col1 <= c.ll/2 {
			c.tail(elems[1:], col1, tcol, ld, w+tlen)
			return
		}
		panic(errNoGood)
	}
	if c.m+tcol < c.ll || tcol < c.ll/2 {
		c.list(elems[1:], tcol, ld, w+tlen+1)
		return
	}
	panic(errNoGood)
}

func (c *cind) list(elems []*ppNode, col0, ld, w int) {
	we := c.element(elems[0], col0, lastDepth(len(elems) > 1, ld), w)
	c.tail(elems[1:], col0, col0+we, ld, w+we)
}

func (c *cind) tail(elems []*ppNode, col0, col, ld, w int) {
	for i, e := range elems {
		ld1 := lastDepth(i+1 < len(elems), ld)
		elen := 1 + e.len
		var ok bool
		if e.atomic {
			if ld1 == 0 {
				ok = elen+1 < c.ll-col && w+elen+1 <= c.m
			} else {
				ok = elen < c.ll-col-ld1 && w+elen+ld1 <= c.m
			}
		}
		if ok {
			col += elen
			w += elen
			continue
		}
		we := c.element(e, col0, ld1, 0)
		col = col0 + we
		w = we
	}
}

func (c *cind) element(n *ppNode, col, ld, w int) int {
	if n.atomic && c.fits(n, col, ld, w) {
		return n.len
	}
	c.cind(n, col, ld, w)
	return c.ll
}
