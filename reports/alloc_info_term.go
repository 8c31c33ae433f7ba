package reports

// Erlang terms, as far as allocator statistics need them.
//
// recon_alloc:snapshot_save/1 writes its snapshot with io_lib:format("~p.~n")
// and snapshot_load/1 reads it back with file:consult/1
// (../shared/docs/recon-refc-facts.md §1.8). This file is the small part of
// Erlang's term syntax those files use — atoms (bare and quoted), integers of
// any size, floats, strings, tuples and proper lists — with:
//
//   - ReadTerms, the file:consult of it: terms ended by ".", comments, and
//     "file:line: expected ..." errors;
//   - WriteTerm, the ~w writer (one line, no spaces);
//   - CompareTerms, Erlang's term order, which is how recon sorts
//     (lists:sort then lists:reverse).
//
// The ~p writer, whose line breaks are io_lib_pretty's, is in
// alloc_info_pretty.go. Pids, references, funs, binaries, maps and improper
// lists never occur in allocator statistics; the reader rejects them with an
// error naming what it expected.

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Term is an Erlang term: Atom, Int, Float, String, List or Tuple.
type Term interface {
	termOrder() int // the type's rank in Erlang's term order
}

// Atom is an Erlang atom, unquoted (`binary_alloc`, `B` for 'B').
type Atom string

// Int is an Erlang integer of any size. The zero value is 0.
type Int struct{ v *big.Int }

// Float is an Erlang float.
type Float float64

// String is a list of character codes written as "...". It is the same
// term as the List of those integers (Erlang has no string type); it is
// kept apart only so that text reads back as text.
type String string

// List is a proper list. Line is where it starts in the text it was read
// from (0 when built in Go).
type List struct {
	Elems []Term
	Line  int
}

// Tuple is a tuple. Line is where it starts in the text it was read from.
type Tuple struct {
	Elems []Term
	Line  int
}

// Ranks in Erlang's term order: number < atom < reference < fun < port <
// pid < tuple < map < nil < list < bitstring. Nil (the empty list) and
// non-empty lists are told apart in CompareTerms.
func (Atom) termOrder() int   { return 1 }
func (Int) termOrder() int    { return 0 }
func (Float) termOrder() int  { return 0 }
func (String) termOrder() int { return 8 }
func (List) termOrder() int   { return 8 }
func (Tuple) termOrder() int  { return 6 }

// IntFrom returns the Int of a Go integer.
func IntFrom[T int | int64 | uint64 | int32 | uint32](x T) Int {
	if x < 0 {
		return Int{big.NewInt(int64(x))}
	}
	return Int{new(big.Int).SetUint64(uint64(x))}
}

// Big returns the value (a copy).
func (i Int) Big() *big.Int {
	if i.v == nil {
		return new(big.Int)
	}
	return new(big.Int).Set(i.v)
}

// Uint64 returns the value and whether it fits in a uint64.
func (i Int) Uint64() (uint64, bool) {
	if i.v == nil {
		return 0, true
	}
	if i.v.Sign() < 0 || !i.v.IsUint64() {
		return 0, false
	}
	return i.v.Uint64(), true
}

func (i Int) String() string {
	if i.v == nil {
		return "0"
	}
	return i.v.String()
}

// Tup builds a tuple.
func Tup(elems ...Term) Tuple { return Tuple{Elems: elems} }

// Lst builds a list.
func Lst(elems ...Term) List { return List{Elems: elems} }

// listElems returns the elements of a List or String, and whether t is one.
func listElems(t Term) ([]Term, bool) {
	switch t := t.(type) {
	case List:
		return t.Elems, true
	case String:
		rs := []rune(string(t))
		out := make([]Term, len(rs))
		for i, r := range rs {
			out[i] = IntFrom(int64(r))
		}
		return out, true
	}
	return nil, false
}

// ---------------------------------------------------------------------------
// Term order

// CompareTerms orders two terms as Erlang's comparison operators do: -1 if
// a < b, 0 if a == b, 1 if a > b. Numbers compare by value, so 0 == 0.0
// (lists:sort then looks at the next element of a tuple); tuples compare by
// size first, then element by element; lists element by element, a prefix
// first; atoms by their text.
func CompareTerms(a, b Term) int {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return cmpInt(ra, rb)
	}
	switch a := a.(type) {
	case Int, Float:
		return compareNumbers(a, b)
	case Atom:
		return strings.Compare(string(a), string(b.(Atom)))
	case Tuple:
		bt := b.(Tuple)
		if len(a.Elems) != len(bt.Elems) {
			return cmpInt(len(a.Elems), len(bt.Elems))
		}
		for i := range a.Elems {
			if c := CompareTerms(a.Elems[i], bt.Elems[i]); c != 0 {
				return c
			}
		}
		return 0
	default: // lists
		ae, _ := listElems(a)
		be, _ := listElems(b)
		for i := 0; i < len(ae) && i < len(be); i++ {
			if c := CompareTerms(ae[i], be[i]); c != 0 {
				return c
			}
		}
		return cmpInt(len(ae), len(be))
	}
}

// rank is termOrder with nil (7) below non-empty lists (8).
func rank(t Term) int {
	if e, ok := listElems(t); ok && len(e) == 0 {
		return 7
	}
	return t.termOrder()
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareNumbers compares an integer or float with another by value, the
// way the runtime does for mixed comparisons: exactly, not by converting
// the integer to a float first.
func compareNumbers(a, b Term) int {
	ab, af := numberValue(a)
	bb, bf := numberValue(b)
	switch {
	case ab != nil && bb != nil:
		return ab.Cmp(bb)
	case af != nil && bf != nil:
		return af.Cmp(bf)
	}
	if af == nil {
		af = new(big.Float).SetInt(ab)
	}
	if bf == nil {
		bf = new(big.Float).SetInt(bb)
	}
	return af.Cmp(bf)
}

func numberValue(t Term) (*big.Int, *big.Float) {
	switch t := t.(type) {
	case Int:
		return t.Big(), nil
	case Float:
		return nil, big.NewFloat(float64(t))
	}
	panic(fmt.Sprintf("reports: not a number: %T", t))
}

// EqualTerms reports whether a and b are the same term (=:=): an Int never
// equals a Float, a String equals the List of its characters.
func EqualTerms(a, b Term) bool {
	switch a := a.(type) {
	case Int:
		b, ok := b.(Int)
		return ok && a.Big().Cmp(b.Big()) == 0
	case Float:
		b, ok := b.(Float)
		return ok && (a == b || math.IsNaN(float64(a)) && math.IsNaN(float64(b)))
	case Atom:
		b, ok := b.(Atom)
		return ok && a == b
	case Tuple:
		b, ok := b.(Tuple)
		if !ok || len(a.Elems) != len(b.Elems) {
			return false
		}
		for i := range a.Elems {
			if !EqualTerms(a.Elems[i], b.Elems[i]) {
				return false
			}
		}
		return true
	}
	ae, ok1 := listElems(a)
	be, ok2 := listElems(b)
	if !ok1 || !ok2 || len(ae) != len(be) {
		return false
	}
	for i := range ae {
		if !EqualTerms(ae[i], be[i]) {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// Writing (~w)

// WriteTerm returns t as io_lib:write/1 (~w) writes it: one line, no
// spaces, strings as lists of integers.
func WriteTerm(t Term) string {
	var b strings.Builder
	writeTerm(&b, t, false)
	return b.String()
}

// writeTerm writes t flat; with strs, printable lists are written as
// strings, as ~p does.
func writeTerm(b *strings.Builder, t Term, strs bool) {
	switch t := t.(type) {
	case Atom:
		b.WriteString(QuoteAtom(string(t)))
	case Int:
		b.WriteString(t.String())
	case Float:
		b.WriteString(FormatFloat(float64(t)))
	case Tuple:
		b.WriteByte('{')
		for i, e := range t.Elems {
			if i > 0 {
				b.WriteByte(',')
			}
			writeTerm(b, e, strs)
		}
		b.WriteByte('}')
	default:
		elems, _ := listElems(t)
		if strs {
			if s, ok := printableLatin1(elems); ok {
				b.WriteString(quoteString(s))
				return
			}
		}
		b.WriteByte('[')
		for i, e := range elems {
			if i > 0 {
				b.WriteByte(',')
			}
			writeTerm(b, e, strs)
		}
		b.WriteByte(']')
	}
}

// printableLatin1 reports whether a non-empty list is what
// io_lib:printable_latin1_list/1 accepts (so ~p prints it as a string),
// and returns its text.
func printableLatin1(elems []Term) (string, bool) {
	if len(elems) == 0 {
		return "", false
	}
	rs := make([]rune, len(elems))
	for i, e := range elems {
		n, ok := e.(Int)
		if !ok {
			return "", false
		}
		c, ok := n.Uint64()
		if !ok {
			return "", false
		}
		switch {
		case c >= ' ' && c <= '~', c >= 0xA0 && c <= 0xFF:
		case c == '\n', c == '\r', c == '\t', c == '\v', c == '\b', c == '\f', c == 0x1b:
		default:
			return "", false
		}
		rs[i] = rune(c)
	}
	return string(rs), true
}

// quoteString writes s as io_lib:write_string/1 does for latin-1 text.
func quoteString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if !writeEscape(&b, r, '"') {
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// writeEscape writes the escape sequence Erlang's io_lib uses for r inside
// a string or quoted atom delimited by quote, and reports whether r needed
// one.
func writeEscape(b *strings.Builder, r, quote rune) bool {
	var e string
	switch r {
	case quote:
		e = `\` + string(quote)
	case '\\':
		e = `\\`
	case '\n':
		e = `\n`
	case '\r':
		e = `\r`
	case '\t':
		e = `\t`
	case '\v':
		e = `\v`
	case '\b':
		e = `\b`
	case '\f':
		e = `\f`
	case 0x1b:
		e = `\e`
	default:
		return false
	}
	b.WriteString(e)
	return true
}

// reservedWords are the atoms io_lib:write_atom quotes although they look
// like plain atoms.
var reservedWords = map[string]bool{
	"after": true, "and": true, "andalso": true, "band": true, "begin": true,
	"bnot": true, "bor": true, "bsl": true, "bsr": true, "bxor": true,
	"case": true, "catch": true, "cond": true, "div": true, "end": true,
	"fun": true, "if": true, "let": true, "not": true, "of": true, "or": true,
	"orelse": true, "receive": true, "rem": true, "try": true, "when": true,
	"xor": true, "maybe": true, "else": true,
}

// QuoteAtom returns an atom as Erlang writes it: bare when it starts with
// a lower-case letter and holds only letters, digits, _ and @, and is not
// a reserved word; quoted otherwise ('B', '@', 'hello world').
func QuoteAtom(a string) string {
	if atomNeedsNoQuotes(a) {
		return a
	}
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range a {
		switch {
		case writeEscape(&b, r, '\''):
		case r == 0x7f:
			b.WriteString(`\d`)
		case r < ' ' || r > 0x7f && r < 0xA0:
			fmt.Fprintf(&b, `\%03o`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

func atomNeedsNoQuotes(a string) bool {
	if a == "" || reservedWords[a] {
		return false
	}
	for i, r := range a {
		lower := r >= 'a' && r <= 'z' || r >= 0xDF && r <= 0xFF && r != 0xF7
		if i == 0 {
			if !lower {
				return false
			}
			continue
		}
		upper := r >= 'A' && r <= 'Z' || r >= 0xC0 && r <= 0xDE && r != 0xD7
		if !lower && !upper && !(r >= '0' && r <= '9') && r != '_' && r != '@' {
			return false
		}
	}
	return true
}

// FormatFloat writes f as Erlang's ~p and ~w do (io_lib_format:fwrite_g/1
// in OTP 25): the shortest digits that read back as f, placed either as a
// plain decimal or with an exponent, whichever is shorter, the plain form
// winning ties — 0.1, 2071.04, 21908.0, 100.0 but 1.0e3, 0.0001 but
// 1.0e-5 — except that from 2^53 up the exponent form is always used
// (1234567890123456.0 but 9.007199254740992e15).
func FormatFloat(f float64) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		// Not an Erlang float; never produced by the analyses (they raise
		// badarith instead). Written so that the reader rejects it.
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	sign := ""
	if f < 0 {
		sign = "-"
		f = -f
	}
	// Shortest round-trip digits d1d2...dn and exponent: f = 0.d1...dn × 10^place.
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddddde±XX
	mant, expS, _ := strings.Cut(e, "e")
	digits := strings.Replace(mant, ".", "", 1)
	exp, _ := strconv.Atoi(expS)
	place := exp + 1
	if f >= 1<<53 {
		// At and above 2^53 OTP 25 always uses scientific notation.
		return sign + insertExp(strconv.Itoa(place-1), digits)
	}
	return sign + insertDecimal(place, digits)
}

// insertDecimal places the decimal point in digits, which stand for
// 0.digits × 10^place (io_lib_format's insert_decimal/2).
func insertDecimal(place int, s string) string {
	l := len(s)
	switch {
	case place == 0:
		return "0." + s
	case place < 0 || place >= l:
		expL := strconv.Itoa(place - 1)
		expDot := 1
		if l == 1 {
			expDot = 2
		}
		expCost := len(expL) + 1 + expDot
		if place < 0 {
			if 2-place <= expCost {
				return "0." + strings.Repeat("0", -place) + s
			}
			return insertExp(expL, s)
		}
		if place-l+2 <= expCost {
			return s + strings.Repeat("0", place-l) + ".0"
		}
		return insertExp(expL, s)
	default:
		return s[:place] + "." + s[place:]
	}
}

func insertExp(expL, s string) string {
	if len(s) == 1 {
		return s + ".0e" + expL
	}
	return s[:1] + "." + s[1:] + "e" + expL
}

// ---------------------------------------------------------------------------
// Reading (file:consult)

// SyntaxError is a malformed term file: "file:line: message".
type SyntaxError struct {
	File string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// ReadTerms reads every term of src, each ended by a full stop, as
// file:consult/1 does. name is used in errors ("name:line: expected ...").
func ReadTerms(name string, src []byte) ([]Term, error) {
	p := &termParser{name: name, src: src, line: 1}
	var out []Term
	for {
		p.skipSpace()
		if p.pos >= len(p.src) {
			return out, nil
		}
		t, err := p.term(0)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if err := p.fullStop(); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
}

// ReadTerm reads a file that holds exactly one term, as
// recon_alloc:snapshot_load/1 requires ({ok,[Term]} = file:consult(F)).
func ReadTerm(name string, src []byte) (Term, error) {
	ts, err := ReadTerms(name, src)
	if err != nil {
		return nil, err
	}
	if len(ts) != 1 {
		return nil, &SyntaxError{name, 1, fmt.Sprintf("expected exactly one term ended by '.', found %d", len(ts))}
	}
	return ts[0], nil
}

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 1000

type termParser struct {
	name string
	src  []byte
	pos  int
	line int
}

func (p *termParser) errf(line int, format string, args ...any) error {
	return &SyntaxError{p.name, line, fmt.Sprintf(format, args...)}
}

// describe names what is at the current position, for "expected X, found Y".
func (p *termParser) describe() string {
	if p.pos >= len(p.src) {
		return "end of file"
	}
	r, _ := utf8.DecodeRune(p.src[p.pos:])
	if r == utf8.RuneError {
		return fmt.Sprintf("byte 0x%02x", p.src[p.pos])
	}
	return strconv.QuoteRune(r)
}

func (p *termParser) skipSpace() {
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\n':
			p.line++
			p.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			p.pos++
		case c == '%':
			for p.pos < len(p.src) && p.src[p.pos] != '\n' {
				p.pos++
			}
		default:
			return
		}
	}
}

// fullStop consumes the '.' that ends a term; it must be followed by white
// space, a comment or the end of the file.
func (p *termParser) fullStop() error {
	if p.pos >= len(p.src) || p.src[p.pos] != '.' {
		return p.errf(p.line, "expected '.' after the term, found %s", p.describe())
	}
	p.pos++
	if p.pos < len(p.src) {
		c := p.src[p.pos]
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '%' && c != '\f' && c != '\v' {
			return p.errf(p.line, "expected white space after '.', found %s", p.describe())
		}
	}
	return nil
}

func (p *termParser) term(depth int) (Term, error) {
	if depth > maxDepth {
		return nil, p.errf(p.line, "terms nested deeper than %d", maxDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errf(p.line, "expected a term, found end of file")
	}
	line := p.line
	c := p.src[p.pos]
	switch {
	case c == '{':
		p.pos++
		elems, err := p.sequence('}', depth)
		if err != nil {
			return nil, err
		}
		return Tuple{Elems: elems, Line: line}, nil
	case c == '[':
		p.pos++
		elems, err := p.sequence(']', depth)
		if err != nil {
			return nil, err
		}
		return List{Elems: elems, Line: line}, nil
	case c == '"':
		var b strings.Builder
		for {
			s, err := p.quoted('"')
			if err != nil {
				return nil, err
			}
			b.WriteString(s)
			// Adjacent string literals concatenate ("ab" "cd").
			save, saveLine := p.pos, p.line
			p.skipSpace()
			if p.pos < len(p.src) && p.src[p.pos] == '"' {
				continue
			}
			p.pos, p.line = save, saveLine
			break
		}
		return String(b.String()), nil
	case c == '\'':
		s, err := p.quoted('\'')
		if err != nil {
			return nil, err
		}
		return Atom(s), nil
	case c >= 'a' && c <= 'z' || p.atomStart():
		var b strings.Builder
		for p.pos < len(p.src) {
			r, size := p.rune()
			if !(r < utf8.RuneSelf && isNameByte(byte(r)) || isLatin1Letter(r)) {
				break
			}
			b.WriteRune(r)
			p.pos += size
		}
		return Atom(b.String()), nil
	case c >= '0' && c <= '9', c == '-', c == '+', c == '$':
		return p.number()
	case c >= 'A' && c <= 'Z', c == '_':
		return nil, p.errf(line, "expected a term, found a variable (%s); a snapshot holds only values", p.word())
	case c == '<':
		return nil, p.errf(line, "expected a term, found '<' (pids, ports, references and binaries are not allocator statistics)")
	case c == '#':
		return nil, p.errf(line, "expected a term, found '#' (maps, records and funs are not allocator statistics)")
	}
	return nil, p.errf(line, "expected a term, found %s", p.describe())
}

// rune decodes the character at p.pos: UTF-8, or a Latin-1 byte.
func (p *termParser) rune() (rune, int) {
	r, size := utf8.DecodeRune(p.src[p.pos:])
	if r == utf8.RuneError && size <= 1 {
		return rune(p.src[p.pos]), 1
	}
	return r, size
}

// atomStart reports a Latin-1 lower-case letter (ß..ÿ but ÷), which
// starts an atom as a..z does.
func (p *termParser) atomStart() bool {
	r, _ := p.rune()
	return r >= 0xDF && r <= 0xFF && r != 0xF7
}

// isLatin1Letter is a Latin-1 letter beyond ASCII, which may continue an
// atom: À..ÿ but × and ÷.
func isLatin1Letter(r rune) bool {
	return r >= 0xC0 && r <= 0xFF && r != 0xD7 && r != 0xF7
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '@'
}

func (p *termParser) word() string {
	start := p.pos
	end := start
	for end < len(p.src) && isNameByte(p.src[end]) && end-start < 40 {
		end++
	}
	return string(p.src[start:end])
}

// sequence reads "elem, elem, ... close" after the opening bracket.
func (p *termParser) sequence(close byte, depth int) ([]Term, error) {
	elems := []Term{}
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == close {
		p.pos++
		return elems, nil
	}
	for {
		t, err := p.term(depth + 1)
		if err != nil {
			return nil, err
		}
		elems = append(elems, t)
		p.skipSpace()
		if p.pos >= len(p.src) {
			return nil, p.errf(p.line, "expected ',' or '%c', found end of file", close)
		}
		switch p.src[p.pos] {
		case ',':
			p.pos++
		case close:
			p.pos++
			return elems, nil
		case '|':
			if close == ']' {
				return nil, p.errf(p.line, "expected ',' or ']', found '|' (improper lists are not allocator statistics)")
			}
			fallthrough
		default:
			return nil, p.errf(p.line, "expected ',' or '%c', found %s", close, p.describe())
		}
	}
}

// quoted reads a quoted atom or string body with Erlang's escapes; the
// opening quote is at p.pos.
func (p *termParser) quoted(q byte) (string, error) {
	startLine := p.line
	p.pos++
	var b strings.Builder
	for {
		if p.pos >= len(p.src) {
			what := "string"
			if q == '\'' {
				what = "quoted atom"
			}
			return "", p.errf(startLine, "expected the closing %c of the %s, found end of file", q, what)
		}
		c := p.src[p.pos]
		switch {
		case c == q:
			p.pos++
			return b.String(), nil
		case c == '\\':
			p.pos++
			r, err := p.escape()
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
		default:
			if c == '\n' {
				p.line++
			}
			r, size := utf8.DecodeRune(p.src[p.pos:])
			if r == utf8.RuneError && size <= 1 {
				// Latin-1 text (file:consult's default for files without
				// an encoding comment in OTP < 17; harmless to accept).
				r, size = rune(c), 1
			}
			b.WriteRune(r)
			p.pos += size
		}
	}
}

// escape reads the escape sequence after a backslash.
func (p *termParser) escape() (rune, error) {
	if p.pos >= len(p.src) {
		return 0, p.errf(p.line, "expected an escape sequence after '\\', found end of file")
	}
	c := p.src[p.pos]
	p.pos++
	switch c {
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'v':
		return '\v', nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'e':
		return 0x1b, nil
	case 's':
		return ' ', nil
	case 'd':
		return 0x7f, nil
	case '^':
		if p.pos >= len(p.src) {
			return 0, p.errf(p.line, "expected a control character after '\\^', found end of file")
		}
		c := p.src[p.pos]
		p.pos++
		return rune(c & 31), nil
	case 'x':
		if p.pos < len(p.src) && p.src[p.pos] == '{' {
			end := p.pos + 1
			for end < len(p.src) && isHex(p.src[end]) && end-p.pos < 9 {
				end++
			}
			if end == p.pos+1 || end >= len(p.src) || p.src[end] != '}' {
				return 0, p.errf(p.line, "expected hexadecimal digits and '}' after '\\x{'")
			}
			v, _ := strconv.ParseUint(string(p.src[p.pos+1:end]), 16, 32)
			p.pos = end + 1
			if v > utf8.MaxRune || v >= 0xD800 && v <= 0xDFFF {
				return 0, p.errf(p.line, "expected a character code in \\x{...}, found %x", v)
			}
			return rune(v), nil
		}
		if p.pos+1 < len(p.src) && isHex(p.src[p.pos]) && isHex(p.src[p.pos+1]) {
			v, _ := strconv.ParseUint(string(p.src[p.pos:p.pos+2]), 16, 8)
			p.pos += 2
			return rune(v), nil
		}
		return 0, p.errf(p.line, "expected two hexadecimal digits after '\\x'")
	}
	if c >= '0' && c <= '7' {
		v := rune(c - '0')
		for i := 0; i < 2 && p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '7'; i++ {
			v = v*8 + rune(p.src[p.pos]-'0')
			p.pos++
		}
		return v, nil
	}
	if c == '\n' {
		p.line++
	}
	// Any other character stands for itself (\", \', \\).
	p.pos--
	r, size := utf8.DecodeRune(p.src[p.pos:])
	if r == utf8.RuneError && size <= 1 {
		r, size = rune(p.src[p.pos]), 1
	}
	p.pos += size
	return r, nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// number reads an integer (with sign, base B#digits, $c character codes,
// _ digit separators) or a float (digits.digits[e[+-]digits]).
func (p *termParser) number() (Term, error) {
	line := p.line
	neg := false
	if c := p.src[p.pos]; c == '-' || c == '+' {
		neg = c == '-'
		p.pos++
		p.skipSpace() // "- 5" is unary minus applied to 5
		if p.pos >= len(p.src) || !(p.src[p.pos] >= '0' && p.src[p.pos] <= '9' || p.src[p.pos] == '$') {
			return nil, p.errf(p.line, "expected a number after the sign, found %s", p.describe())
		}
	}
	if p.src[p.pos] == '$' {
		p.pos++
		if p.pos >= len(p.src) {
			return nil, p.errf(line, "expected a character after '$', found end of file")
		}
		var r rune
		if p.src[p.pos] == '\\' {
			p.pos++
			var err error
			if r, err = p.escape(); err != nil {
				return nil, err
			}
		} else {
			var size int
			r, size = utf8.DecodeRune(p.src[p.pos:])
			if r == utf8.RuneError && size <= 1 {
				r, size = rune(p.src[p.pos]), 1
			}
			if r == '\n' {
				p.line++
			}
			p.pos += size
		}
		v := big.NewInt(int64(r))
		if neg {
			v.Neg(v)
		}
		return Int{v}, nil
	}
	digits, err := p.digits(line, 10)
	if err != nil {
		return nil, err
	}
	// Base: 16#ff.
	if p.pos < len(p.src) && p.src[p.pos] == '#' {
		base, _ := strconv.Atoi(digits)
		if base < 2 || base > 36 {
			return nil, p.errf(line, "expected a base between 2 and 36 before '#', found %s", digits)
		}
		p.pos++
		ds, err := p.digits(line, base)
		if err != nil {
			return nil, err
		}
		v, ok := new(big.Int).SetString(ds, base)
		if !ok {
			return nil, p.errf(line, "expected base-%d digits after '#'", base)
		}
		if neg {
			v.Neg(v)
		}
		return Int{v}, nil
	}
	// Float: a '.' followed by a digit (a '.' followed by anything else is
	// the full stop or an error).
	if p.pos+1 < len(p.src) && p.src[p.pos] == '.' && p.src[p.pos+1] >= '0' && p.src[p.pos+1] <= '9' {
		p.pos++
		frac, err := p.digits(line, 10)
		if err != nil {
			return nil, err
		}
		text := digits + "." + frac
		if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
			save := p.pos
			p.pos++
			sign := ""
			if p.pos < len(p.src) && (p.src[p.pos] == '-' || p.src[p.pos] == '+') {
				sign = string(p.src[p.pos])
				p.pos++
			}
			if p.pos >= len(p.src) || p.src[p.pos] < '0' || p.src[p.pos] > '9' {
				p.pos = save
				return nil, p.errf(line, "expected the exponent's digits after %se", text)
			}
			exp, err := p.digits(line, 10)
			if err != nil {
				return nil, err
			}
			text += "e" + sign + exp
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return nil, p.errf(line, "expected a float, found %s (out of range)", text)
			}
			return nil, p.errf(line, "expected a float, found %s", text)
		}
		if neg {
			f = -f
		}
		return Float(f), nil
	}
	v, _ := new(big.Int).SetString(digits, 10)
	if neg {
		v.Neg(v)
	}
	return Int{v}, nil
}

// digits reads digits of a base with single '_' separators between them.
func (p *termParser) digits(line, base int) (string, error) {
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '_' && b.Len() > 0 && p.pos+1 < len(p.src) && digitValue(p.src[p.pos+1]) < base {
			p.pos++
			continue
		}
		if digitValue(c) >= base {
			break
		}
		b.WriteByte(c)
		p.pos++
	}
	if b.Len() == 0 {
		return "", p.errf(line, "expected base-%d digits, found %s", base, p.describe())
	}
	if b.Len() > 100000 {
		return "", p.errf(line, "number has more than 100000 digits")
	}
	return b.String(), nil
}

func digitValue(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}
