package workloads

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// gzipMagic is the first two bytes of a gzip stream.
var gzipMagic = []byte{0x1f, 0x8b}

// OpenTrace opens a trace for reading, whatever its form: "-" is stdin
// (named "<stdin>" in errors, not closed by the Closer), anything else a
// file path (its name in errors). Input that starts with the gzip magic
// (1f 8b), or a path ending in ".gz", is decompressed transparently; then
// input that starts with BinaryMagic is read by a BinaryReader, anything
// else by a (text) Reader. Both are LenientReaders too.
//
// The Closer closes what OpenTrace opened. Errors: the error of opening
// the file, or a "NAME: not gzip data: ..." error for a ".gz" file that
// is not gzip.
func OpenTrace(path string, stdin io.Reader) (OpReader, io.Closer, error) {
	return OpenTraceWith(path, stdin, nil)
}

// OpenTraceWith is OpenTrace, with the raw (possibly compressed) input
// passed through wrap first when wrap is not nil: a progress meter
// counting the bytes of the file.
func OpenTraceWith(path string, stdin io.Reader, wrap func(io.Reader) io.Reader) (OpReader, io.Closer, error) {
	name := path
	var src io.Reader
	var closers multiCloser
	if path == "-" {
		name, src = "<stdin>", stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, nil, err
		}
		src = f
		closers = append(closers, f)
	}
	if wrap != nil {
		src = wrap(src)
	}
	br := bufio.NewReaderSize(src, 256<<10)
	head, _ := br.Peek(2)
	var in io.Reader = br
	if bytes.Equal(head, gzipMagic) || (path != "-" && strings.HasSuffix(path, ".gz")) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			closers.Close()
			return nil, nil, fmt.Errorf("%s: not gzip data: %w", name, err)
		}
		closers = append(closers, zr)
		in = bufio.NewReaderSize(zr, 256<<10)
	}
	bin := in.(*bufio.Reader)
	if head, _ := bin.Peek(len(BinaryMagic)); string(head) == BinaryMagic {
		return NewBinaryReader(bin, name), closers, nil
	}
	return NewReader(bin, name), closers, nil
}

// multiCloser closes its closers last to first, returning the first error.
type multiCloser []io.Closer

func (m multiCloser) Close() error {
	var first error
	for i := len(m) - 1; i >= 0; i-- {
		if err := m[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// IsBinaryTraceName reports whether a path names a binary trace by its
// extension: ".altr", or ".altr.gz" for a compressed one.
func IsBinaryTraceName(path string) bool {
	return strings.HasSuffix(strings.TrimSuffix(path, ".gz"), ".altr")
}

// TraceFile is the Closer of CreateTrace: the trace being written goes to
// a temporary file beside the target, which Close moves into place.
type TraceFile struct {
	path   string
	f      *os.File
	w      OpWriter
	zw     *gzip.Writer
	closed bool
}

// CreateTrace creates a trace file for writing: binary (BINARY-FORMAT.md)
// if binary is set, else canonical text (Writer); compressed with gzip if
// path ends in ".gz". (IsBinaryTraceName tells a binary trace's name, for
// callers choosing binary by extension: ".altr" or ".altr.gz".)
//
// Nothing appears at path until Close, which flushes the writer, ends the
// gzip stream and renames a temporary file in the same directory to path,
// replacing any file there; on any failure it removes the temporary file
// and returns the error. Abort discards the output instead.
func CreateTrace(path string, binary bool) (OpWriter, *TraceFile, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return nil, nil, err
	}
	tf := &TraceFile{path: path, f: f}
	var out io.Writer = f
	if strings.HasSuffix(path, ".gz") {
		tf.zw = gzip.NewWriter(f)
		out = tf.zw
	}
	if binary {
		tf.w = NewBinaryWriter(out)
	} else {
		tf.w = NewWriter(out)
	}
	return tf.w, tf, nil
}

// Close commits the trace: see CreateTrace. Calling it again, or after
// Abort, does nothing.
func (t *TraceFile) Close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	err := t.w.Flush()
	if t.zw != nil {
		err = errors.Join(err, t.zw.Close())
	}
	err = errors.Join(err, t.f.Close())
	if err == nil {
		// CreateTemp makes the file 0600: make it readable like others.
		_ = os.Chmod(t.f.Name(), 0o644)
		err = os.Rename(t.f.Name(), t.path)
	}
	if err != nil {
		os.Remove(t.f.Name())
	}
	return err
}

// Abort discards the trace: the temporary file is removed and path is
// left as it was. Calling it after Close does nothing.
func (t *TraceFile) Abort() {
	if t.closed {
		return
	}
	t.closed = true
	t.f.Close()
	os.Remove(t.f.Name())
}
