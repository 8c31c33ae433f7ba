package workloads

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"

	"alloclab/allocator"
)

// Magic is the exact first line of a text trace (without its line end).
const Magic = "alloclab-trace 1"

// MaxLineLen is the longest line a Reader accepts, in bytes, not counting
// the line end ("\n" or "\r\n"). Longer lines are an error ("line too
// long"); the Reader never buffers more than about this much of a line.
const MaxLineLen = 64 << 10

// SyntaxError is an error in the content of a trace: what was wrong, and
// where. Error() gives "FILE:LINE: MSG".
type SyntaxError struct {
	File string // the name given to NewReader
	Line int    // 1-based line number
	Msg  string // what was wrong and what was expected
}

func (e *SyntaxError) Error() string {
	return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// LiveSet tells a Reader which block IDs are live. See Reader.SetLiveSet.
type LiveSet interface {
	Live(id uint64) bool
}

// Reader reads an alloclab-trace 1 text trace (shared/spec/trace-format.md)
// one record at a time, like bufio.Scanner:
//
//	rd := workloads.NewReader(f, name)
//	for rd.Scan() {
//		op := rd.Op()
//		...
//	}
//	if err := rd.Err(); err != nil { ... }
//
// Scan returns every a, r, f and t record and every @ directive, in order;
// comments and blank lines are skipped. It stops at the end of the input or
// at the first error, which Err then returns: a *SyntaxError for bad content
// (including an empty input, a bad first line and a line longer than
// MaxLineLen), or a wrapped read error of the underlying reader.
//
// The acceptance rules are those of the oracle's parser
// (shared/oracle/c_src/oracle_nif.c): the first line must be exactly Magic
// (a trailing "\r" is tolerated, blanks are not); on the other lines leading
// and trailing blanks (spaces, tabs) and a trailing "\r" are tolerated; a NUL
// byte anywhere is an error. The oracle skips "@" lines unread; here an "@"
// line must name a KEY (the first word after the "@", which may follow it
// without a blank), and its VALUE is the rest of the line without leading
// and trailing blanks or trailing carriage returns. In addition, SCHED must
// fit in 32 bits (Op.Sched); the oracle takes any uint64.
//
// The Reader reads line by line into a buffer of at most about 128 KiB,
// whatever the length of the input or of its lines. In steady state,
// reading an a/r/f/t record does not allocate (a directive's Key and Value
// do).
type Reader struct {
	src  io.Reader
	name string

	// Input buffer: buf[r:w] is read but not yet taken. scanned bytes
	// from r on are known to hold no '\n'.
	buf        []byte
	r, w       int
	scanned    int
	srcErr     error // sticky error of src (io.EOF at the end)
	filled     bool  // the last Read filled the buffer: let it grow
	discarding bool  // skipping the rest of a too-long line

	line    int    // number of the last line read
	op      Op     // current record
	records int    // a/r/f/t records returned
	lastT   uint64 // last accepted t NANOS
	err     error
	stop    bool // no more Scan: error or end of input

	lenient      bool
	skipped      int
	firstSkipped error

	live LiveSet // the caller's, if set
	own  idSet   // else: IDs live in this trace

	noFast bool // tests: parse every line with the general parser
}

// NewReader returns a Reader reading r. name is the file name used in
// errors (see Open).
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{src: r, name: name, buf: make([]byte, minBufSize)}
}

// The input buffer starts small and grows (for long lines, or when the
// source fills it) up to bufSize: a longest line with its "\r\n" and room
// to read more.
const (
	minBufSize = 8 << 10
	bufSize    = MaxLineLen + 2 + 64<<10
)

// errTooLong is readLine's report of a line longer than MaxLineLen.
var errTooLong = errors.New("line too long")

// readLine returns the next line with its line end. A last line without
// one gets a "\n" appended in the buffer, so that every line handed out is
// followed by "\n" (parseFast relies on it). The line is valid until the
// next call. Errors: errTooLong (the caller may then set r.discarding to
// skip the line), io.EOF at the end, or the error of the source.
func (r *Reader) readLine() ([]byte, error) {
	for empty := 0; ; {
		if i := bytes.IndexByte(r.buf[r.r+r.scanned:r.w], '\n'); i >= 0 {
			end := r.r + r.scanned + i + 1
			line := r.buf[r.r:end]
			r.r, r.scanned = end, 0
			if r.discarding {
				r.discarding = false
				continue
			}
			return line, nil
		}
		if r.discarding {
			r.r, r.w = 0, 0
		}
		r.scanned = r.w - r.r
		if r.scanned > MaxLineLen+1 { // no "\n" within MaxLineLen+2 bytes
			return nil, errTooLong
		}
		// Make room to read, and for the "\n" added to a last line: move
		// the partial line to the front, and grow the buffer if it is full
		// or the source filled it last time.
		if r.r == r.w {
			r.r, r.w = 0, 0
		} else if r.r > 0 && len(r.buf)-r.w < len(r.buf)/4 {
			r.w = copy(r.buf, r.buf[r.r:r.w])
			r.r = 0
		}
		if len(r.buf) < bufSize && (r.w == len(r.buf) || r.filled) {
			buf := make([]byte, min(2*len(r.buf), bufSize))
			r.w = copy(buf, r.buf[r.r:r.w])
			r.r = 0
			r.buf = buf
		}
		// Now r.w < len(r.buf): a full buffer of bufSize bytes either had
		// taken lines to move away or held a too-long line.
		if r.srcErr != nil {
			if r.srcErr != io.EOF || r.r == r.w {
				return nil, r.srcErr
			}
			// The last line has no line end: add one (there is room: it
			// holds at most MaxLineLen+1 bytes and sits at the front).
			r.discarding = false
			r.buf[r.w] = '\n'
			r.w++
			continue
		}
		n, err := r.src.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			n, err = 0, errors.New("invalid Read result")
		}
		r.filled = n == len(r.buf)-r.w
		r.w += n
		if err != nil {
			r.srcErr = err
		} else if n == 0 {
			if empty++; empty >= 100 {
				r.srcErr = io.ErrNoProgress
			}
		}
	}
}

// SetLiveSet makes the Reader check block liveness by asking s instead of
// tracking live IDs itself: "a" needs a non-live ID, "r" and "f" a live
// one. The caller must apply each op to s before the next Scan. With a nil
// s (the default), the Reader tracks live IDs itself: a adds, f removes, r
// keeps. Call it before the first Scan.
func (r *Reader) SetLiveSet(s LiveSet) { r.live = s }

// SetLenient turns lenient mode on or off. In lenient mode a bad line is
// skipped and counted (Skipped, FirstSkipped) instead of ending the scan;
// a bad first line and read errors still end it. A skipped record has no
// effect (its ID does not become live or dead, its time is not taken).
func (r *Reader) SetLenient(on bool) { r.lenient = on }

// Skipped returns the number of bad lines skipped in lenient mode.
func (r *Reader) Skipped() int { return r.skipped }

// FirstSkipped returns the error of the first line skipped in lenient mode
// (a *SyntaxError), or nil; meant for a warning.
func (r *Reader) FirstSkipped() error { return r.firstSkipped }

// Records returns the number of a, r, f and t records returned so far.
func (r *Reader) Records() int { return r.records }

// Op returns the record found by the last successful Scan.
func (r *Reader) Op() Op { return r.op }

// Err returns the error that ended the scan, or nil at a clean end of input.
func (r *Reader) Err() error { return r.err }

// Scan advances to the next record, which Op then returns. It returns false
// at the end of the input or on an error (see Err).
func (r *Reader) Scan() bool {
	for !r.stop {
		b, err := r.readLine()
		switch err {
		case nil:
		case errTooLong:
			r.line++
			msg := msgTooLong
			if r.line == 1 {
				msg = msgMagic
			}
			if !r.bad(msg) {
				return false
			}
			r.discarding = true
			continue
		case io.EOF:
			r.stop = true
			if r.line == 0 {
				r.err = &SyntaxError{r.name, 1, "empty input: " + msgMagic}
			}
			return false
		default:
			r.readError(err)
			return false
		}
		r.line++
		n := len(b) - 1 // b ends in "\n"
		if n > 0 && b[n-1] == '\r' {
			n--
		}
		line := b[:n]
		switch {
		case r.line == 1:
			if string(line) != Magic {
				r.bad(msgMagic)
				return false
			}
			continue
		case n > MaxLineLen:
			if !r.bad(msgTooLong) {
				return false
			}
			continue
		case !r.noFast && r.parseFast(b, n):
			return true
		case bytes.IndexByte(line, 0) >= 0:
			if !r.bad("NUL byte in line") {
				return false
			}
			continue
		}
		emit, msg := r.parse(line)
		if msg != "" {
			if !r.bad(msg) {
				return false
			}
			continue
		}
		if emit {
			return true
		}
	}
	return false
}

const (
	msgMagic   = `expected "` + Magic + `" on the first line`
	msgTooLong = "line too long (more than 65536 bytes)"
)

// bad handles a bad current line: in lenient mode (not on line 1) it counts
// it and returns true (go on); otherwise it records the error and returns
// false.
func (r *Reader) bad(msg string) bool {
	e := &SyntaxError{r.name, r.line, msg}
	if r.lenient && r.line > 1 {
		r.skipped++
		if r.firstSkipped == nil {
			r.firstSkipped = e
		}
		return true
	}
	r.err = e
	r.stop = true
	return false
}

func (r *Reader) readError(err error) {
	r.err = fmt.Errorf("%s:%d: read error: %w", r.name, r.line+1, err)
	r.stop = true
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

// parse parses line r.line (line end removed, not line 1). It fills r.op
// and returns emit=true for a record or directive, emit=false for a blank
// or comment line, or a non-empty error message.
func (r *Reader) parse(b []byte) (emit bool, msg string) {
	i := 0
	for i < len(b) && isBlank(b[i]) {
		i++
	}
	if i == len(b) || b[i] == '#' {
		return false, ""
	}
	if b[i] == '@' {
		return r.parseDirective(b[i+1:])
	}
	n := len(b)
	for isBlank(b[n-1]) { // stops at b[i], not blank
		n--
	}
	b = b[i:n]

	j := 0
	for j < len(b) && !isBlank(b[j]) {
		j++
	}
	kind := Kind(b[0])
	if j != 1 || (kind != Alloc && kind != Realloc && kind != Free && kind != Time) {
		return false, "unknown record " + quote(b[:j]) + " (expected a, r, f, t, @ or #)"
	}

	var f [4][]byte
	nf := 0
	for j < len(b) {
		for isBlank(b[j]) { // b has no trailing blanks
			j++
		}
		s := j
		for j < len(b) && !isBlank(b[j]) {
			j++
		}
		if nf < len(f) {
			f[nf] = b[s:j]
		}
		nf++
	}

	switch kind {
	case Alloc:
		if nf != 4 {
			return false, "a: expected 4 fields (a ID TYPE SCHED SIZE), got " + strconv.Itoa(nf)
		}
		id, ok := parseUint(f[0])
		if !ok {
			return false, badID(f[0])
		}
		t, ok := parseType(f[1])
		if !ok {
			return false, "unknown allocator type " + quote(f[1])
		}
		sched, ok := parseSched(f[2])
		if !ok {
			return false, badSched(f[2])
		}
		size, ok := parseSize(f[3])
		if !ok {
			return false, badSize(f[3])
		}
		if r.isLive(id) {
			return false, "a: ID " + strconv.FormatUint(id, 10) + " is still live"
		}
		if r.live == nil {
			r.own.add(id)
		}
		r.op = Op{Kind: Alloc, ID: id, Type: t, Sched: sched, Size: size, Line: r.line}
	case Realloc:
		if nf != 2 && nf != 3 {
			return false, "r: expected 2 or 3 fields (r ID SIZE [SCHED]), got " + strconv.Itoa(nf)
		}
		id, ok := parseUint(f[0])
		if !ok {
			return false, badID(f[0])
		}
		size, ok := parseSize(f[1])
		if !ok {
			return false, badSize(f[1])
		}
		var sched uint32
		if nf == 3 {
			if sched, ok = parseSched(f[2]); !ok {
				return false, badSched(f[2])
			}
		}
		if !r.isLive(id) {
			return false, "r: ID " + strconv.FormatUint(id, 10) + " is not live"
		}
		r.op = Op{Kind: Realloc, ID: id, Sched: sched, HasSched: nf == 3, Size: size, Line: r.line}
	case Free:
		if nf != 1 && nf != 2 {
			return false, "f: expected 1 or 2 fields (f ID [SCHED]), got " + strconv.Itoa(nf)
		}
		id, ok := parseUint(f[0])
		if !ok {
			return false, badID(f[0])
		}
		var sched uint32
		if nf == 2 {
			if sched, ok = parseSched(f[1]); !ok {
				return false, badSched(f[1])
			}
		}
		if !r.isLive(id) {
			return false, "f: ID " + strconv.FormatUint(id, 10) + " is not live"
		}
		if r.live == nil {
			r.own.remove(id)
		}
		r.op = Op{Kind: Free, ID: id, Sched: sched, HasSched: nf == 2, Line: r.line}
	case Time:
		if nf != 1 {
			return false, "t: expected 1 field (t NANOS), got " + strconv.Itoa(nf)
		}
		t, ok := parseUint(f[0])
		if !ok {
			return false, "bad NANOS " + quote(f[0]) + ": expected a decimal integer with 0 <= NANOS < 2^64"
		}
		if t < r.lastT {
			return false, "t: time " + strconv.FormatUint(t, 10) + " goes backwards (previous " +
				strconv.FormatUint(r.lastT, 10) + ")"
		}
		r.lastT = t
		r.op = Op{Kind: Time, Nanos: t, Line: r.line}
	}
	r.records++
	return true, ""
}

// parseFast is the fast path of parse for well-formed a, r, f and t
// records: it parses the line in one pass and, if it is a record that parse
// would accept, fills r.op and returns true. Otherwise (another kind of
// line, any syntax error, a number of 20 digits or more, a liveness or time
// error) it changes nothing and returns false, and parse then finds out
// what is wrong. So it never accepts what parse would reject, and needs no
// NUL check: every byte it accepts is a digit, a blank or part of a type
// name.
//
// The line is p[:n]; p[n] is its line end ("\r" or "\n", see readLine),
// which stops every scan for blanks or digits.
func (r *Reader) parseFast(p []byte, n int) bool {
	i := 0
	for isBlank(p[i]) {
		i++
	}
	if i+1 >= n || !isBlank(p[i+1]) {
		return false
	}
	kind := Kind(p[i])
	i += 2
	var id, size, nanos uint64
	var sched uint64
	var t allocator.Type
	hasSched := false
	ok := false
	switch kind {
	case Alloc:
		if id, i, ok = fastUint(p, n, i); !ok {
			return false
		}
		for isBlank(p[i]) {
			i++
		}
		s := i
		for i < n && !isBlank(p[i]) {
			i++
		}
		if t, ok = parseType(p[s:i]); !ok {
			return false
		}
		if sched, i, ok = fastUint(p, n, i); !ok || sched > math.MaxUint32 {
			return false
		}
		if size, i, ok = fastUint(p, n, i); !ok || size == 0 || size >= MaxSize {
			return false
		}
	case Realloc:
		if id, i, ok = fastUint(p, n, i); !ok {
			return false
		}
		if size, i, ok = fastUint(p, n, i); !ok || size == 0 || size >= MaxSize {
			return false
		}
		if sched, i, ok = fastUint(p, n, i); ok {
			if sched > math.MaxUint32 {
				return false
			}
			hasSched = true
		}
	case Free:
		if id, i, ok = fastUint(p, n, i); !ok {
			return false
		}
		if sched, i, ok = fastUint(p, n, i); ok {
			if sched > math.MaxUint32 {
				return false
			}
			hasSched = true
		}
	case Time:
		if nanos, i, ok = fastUint(p, n, i); !ok || nanos < r.lastT {
			return false
		}
	default:
		return false
	}
	for isBlank(p[i]) {
		i++
	}
	if i != n {
		return false
	}
	switch kind {
	case Alloc:
		if r.live == nil {
			if !r.own.add(id) {
				return false
			}
		} else if r.live.Live(id) {
			return false
		}
	case Realloc:
		if !r.isLive(id) {
			return false
		}
	case Free:
		if r.live == nil {
			if !r.own.remove(id) {
				return false
			}
		} else if !r.live.Live(id) {
			return false
		}
	case Time:
		r.lastT = nanos
	}
	op := &r.op
	if op.Kind == Directive {
		op.Key, op.Value = "", ""
	}
	op.Kind, op.ID, op.Type, op.Sched, op.HasSched = kind, id, t, uint32(sched), hasSched
	op.Size, op.Nanos, op.Line = size, nanos, r.line
	r.records++
	return true
}

// fastUint skips blanks from p[i] on and parses a field of 1 to 19 digits
// that ends at a blank or at n, the end of the line in p (p[n] is neither a
// blank nor a digit). It returns the value and the index after the field,
// or ok=false (nothing there, not digits, too long).
func fastUint(p []byte, n, i int) (v uint64, j int, ok bool) {
	for isBlank(p[i]) {
		i++
	}
	s := i
	for {
		c := p[i] - '0'
		if c > 9 {
			break
		}
		v = v*10 + uint64(c)
		i++
	}
	if i == s || i-s > 19 || (i != n && !isBlank(p[i])) {
		return 0, i, false
	}
	return v, i, true
}

// parseDirective parses what follows the "@" of a directive line.
func (r *Reader) parseDirective(b []byte) (bool, string) {
	// Trailing blanks and carriage returns go: a value cannot end in "\r",
	// so that every directive read can be written back unchanged.
	n := len(b)
	for n > 0 && (isBlank(b[n-1]) || b[n-1] == '\r') {
		n--
	}
	b = b[:n]
	i := 0
	for i < n && isBlank(b[i]) {
		i++
	}
	s := i
	for i < n && !isBlank(b[i]) {
		i++
	}
	if s == i {
		return false, `@: expected a directive name after "@" (@ KEY VALUE...)`
	}
	key := b[s:i]
	for i < n && isBlank(b[i]) {
		i++
	}
	r.op = Op{Kind: Directive, Key: string(key), Value: string(b[i:]), Line: r.line}
	return true, ""
}

func (r *Reader) isLive(id uint64) bool {
	if r.live != nil {
		return r.live.Live(id)
	}
	return r.own.has(id)
}

func badID(b []byte) string {
	return "bad ID " + quote(b) + ": expected a decimal integer with 0 <= ID < 2^64"
}

func badSched(b []byte) string {
	return "bad SCHED " + quote(b) + ": expected a decimal integer with 0 <= SCHED < 2^32"
}

func badSize(b []byte) string {
	return "bad SIZE " + quote(b) + ": expected a decimal integer with 0 < SIZE < 2^48"
}

// quote quotes a field for an error message, cut to a sane length.
func quote(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}

// parseUint parses a non-empty string of decimal digits (leading zeros
// allowed) that fits in a uint64, like the oracle's parse_u64.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	if len(b) <= 19 { // 10^19-1 < 2^64: cannot overflow
		for _, c := range b {
			c -= '0'
			if c > 9 {
				return 0, false
			}
			v = v*10 + uint64(c)
		}
		return v, true
	}
	for _, c := range b {
		c -= '0'
		if c > 9 || v > (math.MaxUint64-uint64(c))/10 {
			return 0, false
		}
		v = v*10 + uint64(c)
	}
	return v, true
}

func parseSched(b []byte) (uint32, bool) {
	v, ok := parseUint(b)
	if !ok || v > math.MaxUint32 {
		return 0, false
	}
	return uint32(v), true
}

func parseSize(b []byte) (uint64, bool) {
	v, ok := parseUint(b)
	if !ok || v == 0 || v >= MaxSize {
		return 0, false
	}
	return v, true
}

// validTraceType[t] reports whether t can appear in a trace: whether
// allocator.ParseType accepts its name.
// (A variable initializer, not an init function, so that package-level
// variables built from it, such as fastFields, see it filled in.)
var validTraceType = func() (v [256]bool) {
	for t := allocator.Type(1); t != 0; t++ {
		if pt, ok := allocator.ParseType(t.String()); ok && pt == t {
			v[t] = true
		}
	}
	return v
}()

// parseType is allocator.ParseType over bytes, without allocating, and
// fast for the usual spellings (TestParseTypeMatchesAllocator checks that
// the two agree).
func parseType(b []byte) (allocator.Type, bool) {
	switch string(b) {
	case "binary_alloc", "B":
		return allocator.Binary, true
	case "eheap_alloc", "H":
		return allocator.EHeap, true
	case "ets_alloc", "E":
		return allocator.ETS, true
	case "std_alloc", "D":
		return allocator.STD, true
	case "temp_alloc", "T":
		return allocator.Temp, true
	case "sl_alloc", "S":
		return allocator.SL, true
	case "ll_alloc", "L":
		return allocator.LL, true
	case "fix_alloc", "F":
		return allocator.Fix, true
	case "literal_alloc", "I":
		return allocator.Literal, true
	case "driver_alloc", "R":
		return allocator.Driver, true
	}
	if len(b) == 0 || len(b) > 32 {
		return 0, false
	}
	return allocator.ParseType(string(b)) // whatever else it may accept one day
}

// Open opens a trace for reading and returns it with the name to give
// NewReader: "-" is standard input ("<stdin>", not closed by Close);
// anything else is a file path, used as the name.
func Open(path string) (io.ReadCloser, string, error) {
	if path == "-" {
		return io.NopCloser(os.Stdin), "<stdin>", nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, path, err
	}
	// Hook: compressed traces (a ".gz" name or the gzip magic 1f 8b) will
	// be wrapped in a decompressing reader here, closing both on Close.
	return f, path, nil
}
