package workloads

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Writer writes Ops as an alloclab-trace 1 text trace, in canonical form:
//
//	alloclab-trace 1
//	a ID TYPE SCHED SIZE     TYPE spelled in full, e.g. binary_alloc
//	r ID SIZE [SCHED]        SCHED only when HasSched
//	f ID [SCHED]             SCHED only when HasSched
//	t NANOS
//	@ KEY VALUE              "@ KEY" when VALUE is empty
//
// Output is buffered: call Flush at the end. Write refuses an op that a
// Reader could not read back as the same op (a bad Kind, TYPE or SIZE, a
// directive KEY that is empty or holds blanks, a line end or NUL in a
// directive, a VALUE with leading or trailing blanks or a trailing "\r");
// it does not check liveness or the order of times, which are the
// producer's business. Op.Line is ignored.
type Writer struct {
	bw  *bufio.Writer
	buf []byte
	err error // sticky write error
}

// NewWriter returns a Writer writing to w; the first line ("alloclab-trace
// 1") is written at once (into the buffer).
func NewWriter(w io.Writer) *Writer {
	wr := &Writer{bw: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 128)}
	_, wr.err = wr.bw.WriteString(Magic + "\n")
	return wr
}

// Write writes one op as one line. An op that cannot be written is
// refused with an error and nothing is written; an error of the underlying
// writer is returned by this and every later call.
func (w *Writer) Write(op Op) error {
	if w.err != nil {
		return w.err
	}
	b := w.buf[:0]
	switch op.Kind {
	case Alloc:
		if !validTraceType[op.Type] {
			return opError(op, "bad allocator type "+op.Type.String())
		}
		if op.Size == 0 || op.Size >= MaxSize {
			return opError(op, "SIZE "+strconv.FormatUint(op.Size, 10)+" is not in 0 < SIZE < 2^48")
		}
		b = append(b, "a "...)
		b = strconv.AppendUint(b, op.ID, 10)
		b = append(b, ' ')
		b = append(b, op.Type.String()...)
		b = append(b, ' ')
		b = strconv.AppendUint(b, uint64(op.Sched), 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, op.Size, 10)
	case Realloc:
		if op.Size == 0 || op.Size >= MaxSize {
			return opError(op, "SIZE "+strconv.FormatUint(op.Size, 10)+" is not in 0 < SIZE < 2^48")
		}
		b = append(b, "r "...)
		b = strconv.AppendUint(b, op.ID, 10)
		b = append(b, ' ')
		b = strconv.AppendUint(b, op.Size, 10)
		if op.HasSched {
			b = append(b, ' ')
			b = strconv.AppendUint(b, uint64(op.Sched), 10)
		}
	case Free:
		b = append(b, "f "...)
		b = strconv.AppendUint(b, op.ID, 10)
		if op.HasSched {
			b = append(b, ' ')
			b = strconv.AppendUint(b, uint64(op.Sched), 10)
		}
	case Time:
		b = append(b, "t "...)
		b = strconv.AppendUint(b, op.Nanos, 10)
	case Directive:
		if msg := checkDirective(op.Key, op.Value); msg != "" {
			return opError(op, msg)
		}
		b = append(b, "@ "...)
		b = append(b, op.Key...)
		if op.Value != "" {
			b = append(b, ' ')
			b = append(b, op.Value...)
		}
	default:
		return opError(op, "unknown kind")
	}
	b = append(b, '\n')
	w.buf = b
	if _, err := w.bw.Write(b); err != nil {
		w.err = err
		return err
	}
	return nil
}

// Flush writes out the buffered lines.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	w.err = w.bw.Flush()
	return w.err
}

// checkDirective returns why "@ KEY VALUE" would not read back as the same
// directive, or "".
func checkDirective(key, value string) string {
	switch {
	case key == "":
		return "empty KEY"
	case strings.ContainsAny(key, " \t\n\x00"):
		return "KEY " + strconv.Quote(key) + " contains a blank, line end or NUL"
	case value == "" && key[len(key)-1] == '\r':
		return "KEY " + strconv.Quote(key) + " ends in \"\\r\""
	case strings.ContainsAny(value, "\n\x00"):
		return "VALUE " + strconv.Quote(value) + " contains a line end or NUL"
	case value != "" && (isBlank(value[0]) || isBlank(value[len(value)-1]) || value[len(value)-1] == '\r'):
		return "VALUE " + strconv.Quote(value) + " has leading or trailing blanks or a trailing \"\\r\""
	case len(key)+len(value)+3 > MaxLineLen:
		return "line too long"
	}
	return ""
}

// ErrBadOp is wrapped by the errors of Writer.Write for ops it refuses.
var ErrBadOp = errors.New("op cannot be written")

func opError(op Op, msg string) error {
	k := string(rune(op.Kind))
	if op.Kind == 0 || op.Kind >= 0x80 {
		k = fmt.Sprintf("Kind(%d)", op.Kind)
	}
	return fmt.Errorf("workloads: %w: %s: %s", ErrBadOp, k, msg)
}
