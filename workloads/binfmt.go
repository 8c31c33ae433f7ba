package workloads

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
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

// fail ends the scan with a syntax error at record rec.
func (r *BinaryReader) fail(rec int, msg string) bool {
	r.err = &SyntaxError{r.name, rec, msg}
	r.stop = true
	return false
}

// short ends the scan for a record that the input ends within: truncated,
// or a read error.
func (r *BinaryReader) short(rec int, what string) bool {
	if r.srcErr != nil && r.srcErr != io.EOF {
		r.err = fmt.Errorf("%s:%d: read error: %w", r.name, rec, r.srcErr)
		r.stop = true
		return false
	}
	return r.fail(rec, "truncated "+what+" (the input ends within it)")
}

// bad handles a record with bad content: skipped in lenient mode (true),
// else the end of the scan (false).
func (r *BinaryReader) bad(msg string) bool {
	e := &SyntaxError{r.name, r.rec, msg}
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
			r.err = fmt.Errorf("%s:%d: read error: %w", r.name, r.rec+1, r.srcErr)
			r.stop = true
			return false
		}
		r.rec++
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
