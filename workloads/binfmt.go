package workloads

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"strconv"

	"alloclab/allocator"
)

// The binary trace format (workloads/BINARY-FORMAT.md): the information of
// an alloclab-trace 1 text trace (every a, r, f and t record and every @
// directive; not comments or blank lines) in about a third of the bytes.

// BinaryMagic is the first four bytes of a binary trace; BinaryVersion the
// fifth.
const (
	BinaryMagic   = "ALTR"
	BinaryVersion = 1
)

// Record codes: the low 3 bits of a record's first byte.
const (
	codeAlloc     = 0
	codeRealloc   = 1
	codeFree      = 2
	codeTime      = 3
	codeDirective = 4

	flagSched = 1 << 3 // r, f: a SCHED follows
)

// maxFixedRecord is the longest a/r/f/t record: the record byte and three
// varints of at most 10 bytes; also enough for a directive's first byte
// and its two lengths.
const maxFixedRecord = 1 + 3*binaryMaxVarintLen

const binaryMaxVarintLen = 10

// OpReader is what reads a trace op by op: *Reader (text) and
// *BinaryReader both are one. See Reader for the protocol.
type OpReader interface {
	Scan() bool
	Op() Op
	Err() error
	SetLiveSet(LiveSet)
}

// LenientReader is the lenient mode both trace readers offer (see
// Reader.SetLenient).
type LenientReader interface {
	SetLenient(on bool)
	Skipped() int
	FirstSkipped() error
}

// OpWriter is what writes a trace op by op: *Writer (text) and
// *BinaryWriter both are one.
type OpWriter interface {
	Write(Op) error
	Flush() error
}

var (
	_ OpReader      = (*Reader)(nil)
	_ OpReader      = (*BinaryReader)(nil)
	_ LenientReader = (*Reader)(nil)
	_ LenientReader = (*BinaryReader)(nil)
	_ OpWriter      = (*Writer)(nil)
	_ OpWriter      = (*BinaryWriter)(nil)
)

// BinaryReader reads a binary trace (BINARY-FORMAT.md) with the protocol
// and checks of the text Reader: Scan returns every record in order and
// stops at the end of the input or at the first error, a *SyntaxError whose
// Line is the record number (the 5-byte header is record 1, the first
// record 2, so that a canonical text trace and its binary form number their
// records alike), or a wrapped read error of the underlying reader.
//
// In lenient mode a record with bad content (a bad TYPE, SIZE or SCHED, a
// liveness or time error, a bad directive) is skipped and counted; a record
// whose extent cannot be known (an unknown record code, a bad varint, a
// truncated record) still ends the scan, as does a bad header.
//
// Reading an a/r/f/t record does not allocate in steady state; a
// directive's Key and Value do.
type BinaryReader struct {
	src  io.Reader
	name string

	buf    []byte
	r, w   int
	off    int64 // byte offset in the input of buf[0]
	recOff int64 // byte offset of the record being decoded (errors)
	srcErr error

	rec     int // number of the last record read (header = 1)
	op      Op
	records int
	lastT   uint64
	lastID  uint64
	err     error
	stop    bool
	started bool

	lenient      bool
	skipped      int
	firstSkipped error

	live LiveSet
	own  idSet
}

// binaryBufSize holds the longest directive record with room to spare.
const binaryBufSize = 128 << 10

// NewBinaryReader returns a BinaryReader reading r; name is the file name
// used in errors.
func NewBinaryReader(r io.Reader, name string) *BinaryReader {
	return &BinaryReader{src: r, name: name, buf: make([]byte, binaryBufSize)}
}

// SetLiveSet: as Reader.SetLiveSet.
func (r *BinaryReader) SetLiveSet(s LiveSet) { r.live = s }

// SetLenient: as Reader.SetLenient (see BinaryReader for what is skipped).
func (r *BinaryReader) SetLenient(on bool) { r.lenient = on }

// Skipped returns the number of bad records skipped in lenient mode.
func (r *BinaryReader) Skipped() int { return r.skipped }

// FirstSkipped returns the error of the first record skipped, or nil.
func (r *BinaryReader) FirstSkipped() error { return r.firstSkipped }

// Records returns the number of a, r, f and t records returned so far.
func (r *BinaryReader) Records() int { return r.records }

// Op returns the record found by the last successful Scan.
func (r *BinaryReader) Op() Op { return r.op }

// Err returns the error that ended the scan, or nil at a clean end.
func (r *BinaryReader) Err() error { return r.err }

// fill reads until buf[r:w] holds at least n bytes or the source has
// ended or failed (srcErr set). n <= len(buf).
func (r *BinaryReader) fill(n int) {
	if r.w-r.r >= n {
		return
	}
	if r.r > 0 {
		r.off += int64(r.r)
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	for empty := 0; r.w < n && r.srcErr == nil; {
		k, err := r.src.Read(r.buf[r.w:])
		if k < 0 || k > len(r.buf)-r.w {
			k, err = 0, errors.New("invalid Read result")
		}
		r.w += k
		if err != nil {
			r.srcErr = err
		} else if k == 0 {
			if empty++; empty >= 100 {
				r.srcErr = io.ErrNoProgress
			}
		}
	}
}

// atOffset is the suffix of every error message: where the record starts.
func (r *BinaryReader) atOffset() string {
	return " (at byte offset " + strconv.FormatInt(r.recOff, 10) + ")"
}

// fail ends the scan with a syntax error at record rec, which starts at
// byte r.recOff.
func (r *BinaryReader) fail(rec int, msg string) bool {
	r.err = &SyntaxError{r.name, rec, msg + r.atOffset()}
	r.stop = true
	return false
}

// short ends the scan for a record that the input ends within: truncated,
// or a read error.
func (r *BinaryReader) short(rec int, what string) bool {
	end := r.off + int64(r.w)
	if r.srcErr != nil && r.srcErr != io.EOF {
		r.err = fmt.Errorf("%s:%d: read error at byte offset %d: %w", r.name, rec, end, r.srcErr)
		r.stop = true
		return false
	}
	return r.fail(rec, "truncated "+what+" (the input ends within it, after byte offset "+
		strconv.FormatInt(end-1, 10)+")")
}

// bad handles a record with bad content: skipped in lenient mode (true),
// else the end of the scan (false).
func (r *BinaryReader) bad(msg string) bool {
	e := &SyntaxError{r.name, r.rec, msg + r.atOffset()}
	if r.lenient {
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

func (r *BinaryReader) header() bool {
	r.started = true
	r.rec = 1
	r.fill(5)
	b := r.buf[r.r:r.w]
	if len(b) == 0 && r.srcErr == io.EOF {
		return r.fail(1, "empty input: expected the binary trace header \""+BinaryMagic+"\" and a version byte")
	}
	n := min(len(b), 4)
	if string(b[:n]) != BinaryMagic[:n] {
		return r.fail(1, "bad magic "+quote(b[:n])+": not a binary alloclab trace (expected \""+BinaryMagic+"\")")
	}
	if len(b) < 5 {
		return r.short(1, "header")
	}
	if b[4] != BinaryVersion {
		return r.fail(1, "unsupported binary trace version "+strconv.Itoa(int(b[4]))+" (this reader reads version "+strconv.Itoa(BinaryVersion)+")")
	}
	r.r += 5
	return true
}

// uvarint decodes a varint at b[i:]; n is 0 if b ends within it, -1 if it
// is longer than 10 bytes or overflows 64 bits.
func uvarint(b []byte, i int) (v uint64, j int, n int) {
	var s uint
	for k := 0; k < binaryMaxVarintLen; k++ {
		if i+k >= len(b) {
			return 0, i, 0
		}
		c := b[i+k]
		if c < 0x80 {
			if k == binaryMaxVarintLen-1 && c > 1 {
				return 0, i, -1
			}
			return v | uint64(c)<<s, i + k + 1, 1
		}
		v |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, i, -1
}

// Scan advances to the next record, which Op then returns. It returns false
// at the end of the input or on an error (see Err).
func (r *BinaryReader) Scan() bool {
	if r.fast() {
		return true
	}
	return r.scan()
}

// scan is Scan's general path: the header, refills, directives, long
// varints, errors and lenient skipping.
func (r *BinaryReader) scan() bool {
	if !r.started && !r.stop && !r.header() {
		return false
	}
	for !r.stop {
		r.fill(maxFixedRecord)
		if r.r == r.w {
			if r.srcErr == io.EOF {
				r.stop = true
				return false
			}
			r.err = fmt.Errorf("%s:%d: read error at byte offset %d: %w", r.name, r.rec+1, r.off+int64(r.r), r.srcErr)
			r.stop = true
			return false
		}
		r.rec++
		r.recOff = r.off + int64(r.r)
		ok, emit := r.record()
		if !ok {
			return false
		}
		if emit {
			return true
		}
	}
	return false
}

// fastFields[h] is the number of varint fields of a record whose record
// byte is h, for the a, r, f and t records the fast path decodes (a with a
// valid TYPE; r and f with or without SCHED; t without flags); 0 for every
// other record byte.
var fastFields = func() (n [256]uint8) {
	for t := range 32 {
		if validTraceType[t] {
			n[codeAlloc|t<<3] = 3
		}
	}
	n[codeRealloc], n[codeRealloc|flagSched] = 2, 3
	n[codeFree], n[codeFree|flagSched] = 1, 2
	n[codeTime] = 1
	return n
}()

// fast decodes the next record if it is a well-formed a, r, f or t record
// with valid fields, which almost every record is, and reports whether it
// did. Otherwise it changes nothing, and the general path (scan, record)
// decodes the same bytes again with its errors and lenient skipping. It
// allocates nothing.
//
// It needs buf[r:w] to hold maxFixedRecord bytes, so that it can load 8
// bytes at any field. Varints are decoded without a loop: the first byte
// without its high bit ends a varint, the bytes after it are masked off and
// the 7-bit groups packed together (pack7). When the record's fields all
// lie in the 8 bytes after the record byte, as they usually do, the stop
// bits of that one load place every field at once and the fields are
// unpacked independently; otherwise each field is loaded after the one
// before (varint8), and a field of more than 8 bytes (a value ≥ 2^56) goes
// to the general path. Trace fields vary in length from record to record,
// so byte-by-byte loops would mispredict.
func (r *BinaryReader) fast() bool {
	if r.w-r.r < maxFixedRecord || r.stop || !r.started {
		return false
	}
	b := r.buf[r.r:r.w:r.w]
	if len(b) < maxFixedRecord {
		return false
	}
	h := b[0]
	nf := int(fastFields[h])
	if nf == 0 {
		return false
	}
	var f0, f1, f2 uint64
	var i int
	// Usually all the fields are in the 8 bytes after the record byte:
	// the stop bits of one load give every field's place at once, so the
	// fields are unpacked in parallel rather than one after the other.
	w := binary.LittleEndian.Uint64(b[1:])
	m := ^w & 0x8080808080808080
	p0 := bits.TrailingZeros64(m) // the stop bit of field k is bit pk
	m &= m - 1
	p1 := bits.TrailingZeros64(m)
	m &= m - 1
	p2 := bits.TrailingZeros64(m)
	if last := [4]int{0, p0, p1, p2}[nf]; last < 64 {
		f0 = pack7(w & (^uint64(0) >> uint(63-p0)))
		f1 = pack7(w >> uint(p0+1) & (^uint64(0) >> uint(63-(p1-p0-1))))
		f2 = pack7(w >> uint(p1+1) & (^uint64(0) >> uint(63-(p2-p1-1))))
		i = 2 + last>>3
	} else {
		var n0, n1, n2 int
		f0, n0 = varint8(b[1:])
		f1, n1 = varint8(b[1+n0:])
		f2, n2 = varint8(b[1+n0+n1:])
		// A field longer than 8 bytes (n = 9): the general path.
		if n0 > 8 || nf > 1 && n1 > 8 || nf > 2 && n2 > 8 {
			return false
		}
		i = 1 + n0
		if nf > 1 {
			i += n1
			if nf > 2 {
				i += n2
			}
		}
	}
	op := &r.op
	if op.Kind == Directive {
		op.Key, op.Value = "", ""
	}
	switch h & 7 {
	case codeAlloc:
		if f1 > math.MaxUint32 || f2-1 >= MaxSize-1 {
			return false
		}
		id := r.lastID + uint64(unzigzag(f0))
		if r.live == nil {
			if !r.own.add(id) {
				return false
			}
		} else if r.live.Live(id) {
			return false
		}
		r.lastID = id
		op.Kind, op.ID, op.Type, op.Sched, op.HasSched = Alloc, id, allocator.Type(h>>3), uint32(f1), false
		op.Size, op.Nanos = f2, 0
	case codeRealloc:
		has := h&flagSched != 0
		if !has {
			f2 = 0
		}
		if f2 > math.MaxUint32 || f1-1 >= MaxSize-1 {
			return false
		}
		id := r.lastID + uint64(unzigzag(f0))
		if !r.isLive(id) {
			return false
		}
		r.lastID = id
		op.Kind, op.ID, op.Type, op.Sched, op.HasSched = Realloc, id, 0, uint32(f2), has
		op.Size, op.Nanos = f1, 0
	case codeFree:
		has := h&flagSched != 0
		if !has {
			f1 = 0
		}
		if f1 > math.MaxUint32 {
			return false
		}
		id := r.lastID + uint64(unzigzag(f0))
		if r.live == nil {
			if !r.own.remove(id) {
				return false
			}
		} else if !r.live.Live(id) {
			return false
		}
		r.lastID = id
		op.Kind, op.ID, op.Type, op.Sched, op.HasSched = Free, id, 0, uint32(f1), has
		op.Size, op.Nanos = 0, 0
	default: // codeTime
		t := r.lastT + f0
		if t < r.lastT {
			return false
		}
		r.lastT = t
		op.Kind, op.ID, op.Type, op.Sched, op.HasSched = Time, 0, 0, 0, false
		op.Size, op.Nanos = 0, t
	}
	r.r += i
	r.rec++
	r.records++
	op.Line = r.rec
	return true
}

// varint8 decodes a varint of at most 8 bytes at the start of b (which
// holds at least 8) and returns it and its length; a length of 9 means it
// is longer (the value is then meaningless).
func varint8(b []byte) (uint64, int) {
	x := binary.LittleEndian.Uint64(b)
	tz := bits.TrailingZeros64(^x & 0x8080808080808080)      // 8k+7 for k+1 bytes; 64 if none ends
	return pack7(x & (^uint64(0) >> uint(63-tz))), tz>>3 + 1 // tz = 64: uint(-1), x = 0
}

// pack7 packs the low 7 bits of each byte of x (a varint's bytes, those
// after it masked off) into one number, low bytes first.
func pack7(x uint64) uint64 {
	x &= 0x7f7f7f7f7f7f7f7f
	x = x&0x007f007f007f007f | x&0x7f007f007f007f00>>1
	x = x&0x00003fff00003fff | x&0x3fff00003fff0000>>2
	return x&0x000000000fffffff | x&0x0fffffff00000000>>4
}

var codeNames = [...]string{"a", "r", "f", "t", "@"}

// record decodes the record at buf[r:], which holds at least
// maxFixedRecord bytes unless the input ends sooner. ok=false: the scan
// ended; emit=false: the record was skipped.
func (r *BinaryReader) record() (ok, emit bool) {
	b := r.buf[r.r:r.w]
	h := b[0]
	code := h & 7
	if code > codeDirective {
		return r.fail(r.rec, fmt.Sprintf("bad record byte 0x%02x: unknown record code %d", h, code)), false
	}
	name := codeNames[code]
	i := 1
	var fields [3]uint64
	nf := 0
	switch code {
	case codeAlloc:
		nf = 3
	case codeRealloc:
		nf = 2
	case codeFree, codeTime:
		nf = 1
	case codeDirective:
		nf = 2
	}
	if h&flagSched != 0 && (code == codeRealloc || code == codeFree) {
		nf++
	}
	for k := 0; k < nf; k++ {
		if i < len(b) && b[i] < 0x80 { // the usual one-byte varint
			fields[k] = uint64(b[i])
			i++
			continue
		}
		v, j, n := uvarint(b, i)
		if n == 0 {
			return r.short(r.rec, name+" record"), false
		}
		if n < 0 {
			return r.fail(r.rec, name+": bad varint (longer than 10 bytes or over 2^64)"), false
		}
		fields[k], i = v, j
	}
	if code == codeDirective {
		kl, vl := fields[0], fields[1]
		if kl > MaxLineLen || vl > MaxLineLen || kl+vl+3 > MaxLineLen {
			return r.fail(r.rec, "@: directive too long (KEY "+strconv.FormatUint(kl, 10)+" and VALUE "+
				strconv.FormatUint(vl, 10)+" bytes; at most "+strconv.Itoa(MaxLineLen-3)+" together)"), false
		}
		total := i + int(kl) + int(vl)
		r.fill(total)
		b = r.buf[r.r:r.w]
		if len(b) < total {
			return r.short(r.rec, "@ record"), false
		}
		r.r += total
		if h != codeDirective {
			return r.bad(fmt.Sprintf("bad record byte 0x%02x: @ takes no flags", h)), false
		}
		key := string(b[i : i+int(kl)])
		value := string(b[i+int(kl) : total])
		if msg := checkDirective(key, value); msg != "" {
			return r.bad("@: " + msg), false
		}
		r.op = Op{Kind: Directive, Key: key, Value: value, Line: r.rec}
		return true, true
	}
	r.r += i
	op := &r.op
	switch code {
	case codeAlloc:
		id := r.lastID + uint64(unzigzag(fields[0]))
		r.lastID = id // even if the record is skipped: the next delta is to it
		t := allocator.Type(h >> 3)
		if !validTraceType[t] {
			return r.bad(fmt.Sprintf("bad record byte 0x%02x: unknown allocator type %d", h, t)), false
		}
		sched, size := fields[1], fields[2]
		if sched > math.MaxUint32 {
			return r.bad(badSchedN(sched)), false
		}
		if size == 0 || size >= MaxSize {
			return r.bad(badSizeN(size)), false
		}
		if r.live == nil {
			if !r.own.add(id) {
				return r.bad("a: ID " + strconv.FormatUint(id, 10) + " is still live"), false
			}
		} else if r.live.Live(id) {
			return r.bad("a: ID " + strconv.FormatUint(id, 10) + " is still live"), false
		}
		r.clearDirective()
		op.Kind, op.ID, op.Type, op.Sched, op.HasSched = Alloc, id, t, uint32(sched), false
		op.Size, op.Nanos = size, 0
	case codeRealloc, codeFree:
		id := r.lastID + uint64(unzigzag(fields[0]))
		r.lastID = id
		if h>>4 != 0 {
			return r.bad(fmt.Sprintf("bad record byte 0x%02x: %s takes no flags but 0x%02x", h, name, flagSched)), false
		}
		k := 1
		var size uint64
		if code == codeRealloc {
			size = fields[1]
			k = 2
			if size == 0 || size >= MaxSize {
				return r.bad(badSizeN(size)), false
			}
		}
		var sched uint64
		has := h&flagSched != 0
		if has {
			sched = fields[k]
			if sched > math.MaxUint32 {
				return r.bad(badSchedN(sched)), false
			}
		}
		if code == codeRealloc {
			if !r.isLive(id) {
				return r.bad("r: ID " + strconv.FormatUint(id, 10) + " is not live"), false
			}
		} else if r.live == nil {
			if !r.own.remove(id) {
				return r.bad("f: ID " + strconv.FormatUint(id, 10) + " is not live"), false
			}
		} else if !r.live.Live(id) {
			return r.bad("f: ID " + strconv.FormatUint(id, 10) + " is not live"), false
		}
		r.clearDirective()
		op.Kind, op.ID, op.Type, op.Sched, op.HasSched = rfKind(code), id, 0, uint32(sched), has
		op.Size, op.Nanos = size, 0
	case codeTime:
		if h != codeTime {
			return r.bad(fmt.Sprintf("bad record byte 0x%02x: t takes no flags", h)), false
		}
		t := r.lastT + fields[0]
		if t < r.lastT {
			return r.bad("t: time goes beyond 2^64-1 (previous " + strconv.FormatUint(r.lastT, 10) +
				", delta " + strconv.FormatUint(fields[0], 10) + ")"), false
		}
		r.lastT = t
		r.clearDirective()
		op.Kind, op.ID, op.Type, op.Sched, op.HasSched = Time, 0, 0, 0, false
		op.Size, op.Nanos = 0, t
	}
	op.Line = r.rec
	r.records++
	return true, true
}

// rfKind maps the record code of r or f to its Kind.
func rfKind(code byte) Kind {
	if code == codeRealloc {
		return Realloc
	}
	return Free
}

func (r *BinaryReader) clearDirective() {
	if r.op.Kind == Directive {
		r.op.Key, r.op.Value = "", ""
	}
}

func (r *BinaryReader) isLive(id uint64) bool {
	if r.live != nil {
		return r.live.Live(id)
	}
	return r.own.has(id)
}

func badSchedN(v uint64) string {
	return "bad SCHED " + strconv.FormatUint(v, 10) + ": expected 0 <= SCHED < 2^32"
}

func badSizeN(v uint64) string {
	return "bad SIZE " + strconv.FormatUint(v, 10) + ": expected 0 < SIZE < 2^48"
}

func zigzag(v int64) uint64   { return uint64(v<<1) ^ uint64(v>>63) }
func unzigzag(u uint64) int64 { return int64(u>>1) ^ -int64(u&1) }

// BinaryWriter writes Ops as a binary trace (BINARY-FORMAT.md). Output is
// buffered: call Flush at the end. Write refuses what the text Writer
// refuses and, in addition, a t whose NANOS is less than the previous t's
// (the format stores time as a forward delta); it does not check liveness.
// Op.Line is ignored.
type BinaryWriter struct {
	bw     *bufio.Writer
	buf    []byte
	lastID uint64
	lastT  uint64
	err    error
}

// NewBinaryWriter returns a BinaryWriter writing to w; the header is
// written at once (into the buffer).
func NewBinaryWriter(w io.Writer) *BinaryWriter {
	bw := &BinaryWriter{bw: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 64)}
	_, bw.err = bw.bw.WriteString(BinaryMagic + string(rune(BinaryVersion)))
	return bw
}

// Write writes one op as one record. An op that cannot be written is
// refused with an error wrapping ErrBadOp and nothing is written; an error
// of the underlying writer is returned by this and every later call.
func (w *BinaryWriter) Write(op Op) error {
	if w.err != nil {
		return w.err
	}
	b := w.buf[:0]
	id := w.lastID
	t := w.lastT
	switch op.Kind {
	case Alloc:
		if !validTraceType[op.Type] || op.Type >= 32 {
			return opError(op, "bad allocator type "+op.Type.String())
		}
		if op.Size == 0 || op.Size >= MaxSize {
			return opError(op, "SIZE "+strconv.FormatUint(op.Size, 10)+" is not in 0 < SIZE < 2^48")
		}
		b = append(b, codeAlloc|byte(op.Type)<<3)
		b = appendUvarint(b, zigzag(int64(op.ID-id)))
		b = appendUvarint(b, uint64(op.Sched))
		b = appendUvarint(b, op.Size)
		id = op.ID
	case Realloc, Free:
		h := byte(codeFree)
		if op.Kind == Realloc {
			h = codeRealloc
			if op.Size == 0 || op.Size >= MaxSize {
				return opError(op, "SIZE "+strconv.FormatUint(op.Size, 10)+" is not in 0 < SIZE < 2^48")
			}
		}
		if op.HasSched {
			h |= flagSched
		}
		b = append(b, h)
		b = appendUvarint(b, zigzag(int64(op.ID-id)))
		if op.Kind == Realloc {
			b = appendUvarint(b, op.Size)
		}
		if op.HasSched {
			b = appendUvarint(b, uint64(op.Sched))
		}
		id = op.ID
	case Time:
		if op.Nanos < t {
			return opError(op, "time "+strconv.FormatUint(op.Nanos, 10)+" goes backwards (previous "+
				strconv.FormatUint(t, 10)+")")
		}
		b = append(b, codeTime)
		b = appendUvarint(b, op.Nanos-t)
		t = op.Nanos
	case Directive:
		if msg := checkDirective(op.Key, op.Value); msg != "" {
			return opError(op, msg)
		}
		b = append(b, codeDirective)
		b = appendUvarint(b, uint64(len(op.Key)))
		b = appendUvarint(b, uint64(len(op.Value)))
		b = append(b, op.Key...)
		b = append(b, op.Value...)
	default:
		return opError(op, "unknown kind")
	}
	if cap(b) <= 256 {
		w.buf = b
	}
	if _, err := w.bw.Write(b); err != nil {
		w.err = err
		return err
	}
	w.lastID, w.lastT = id, t
	return nil
}

// Flush writes out the buffered records.
func (w *BinaryWriter) Flush() error {
	if w.err != nil {
		return w.err
	}
	w.err = w.bw.Flush()
	return w.err
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
