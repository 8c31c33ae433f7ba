package workloads

import (
	"bytes"
	"compress/gzip"
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"alloclab/allocator"
)

// readAll reads every op of rd, failing the test on an error.
func readOps(t testing.TB, rd OpReader) []Op {
	t.Helper()
	var ops []Op
	for rd.Scan() {
		ops = append(ops, rd.Op())
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	return ops
}

func writeOps(t testing.TB, w OpWriter, ops []Op) {
	t.Helper()
	for _, op := range ops {
		if err := w.Write(op); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

func textOf(t testing.TB, ops []Op) []byte {
	var b bytes.Buffer
	writeOps(t, NewWriter(&b), ops)
	return b.Bytes()
}

func binaryOf(t testing.TB, ops []Op) []byte {
	var b bytes.Buffer
	writeOps(t, NewBinaryWriter(&b), ops)
	return b.Bytes()
}

// checkRoundTrip converts text to binary and back and checks that the
// result is the canonical text of the input, with the same ops (record
// numbers included) on the way.
func checkRoundTrip(t *testing.T, name string, text []byte) {
	t.Helper()
	ops := readOps(t, NewReader(bytes.NewReader(text), name))
	canon := textOf(t, ops)
	canonOps := readOps(t, NewReader(bytes.NewReader(canon), name))
	bin := binaryOf(t, ops)
	binOps := readOps(t, NewBinaryReader(bytes.NewReader(bin), name))
	if !reflect.DeepEqual(binOps, canonOps) {
		for i := range min(len(binOps), len(canonOps)) {
			if binOps[i] != canonOps[i] {
				t.Fatalf("%s: op %d: binary gives %+v, canonical text %+v", name, i, binOps[i], canonOps[i])
			}
		}
		t.Fatalf("%s: binary gives %d ops, canonical text %d", name, len(binOps), len(canonOps))
	}
	if back := textOf(t, binOps); !bytes.Equal(back, canon) {
		t.Fatalf("%s: text -> binary -> text differs from the canonical text", name)
	}
	// Binary -> text -> binary gives the same bytes.
	if again := binaryOf(t, readOps(t, NewReader(bytes.NewReader(canon), name))); !bytes.Equal(again, bin) {
		t.Fatalf("%s: binary -> text -> binary differs", name)
	}
}

func TestBinaryRoundTripTestdata(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.trace")
	if len(files) == 0 {
		t.Fatal("no testdata/*.trace")
	}
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkRoundTrip(t, f, text)
	}
}

var binTraceTypes = []allocator.Type{allocator.Temp, allocator.SL, allocator.STD, allocator.LL,
	allocator.EHeap, allocator.ETS, allocator.Fix, allocator.Literal, allocator.Binary, allocator.Driver}

// randomOps returns a random valid trace of n records and some directives:
// dense and sparse IDs (up to 2^64-1), reused IDs, every TYPE, SCHED up to
// 2^32-1, SIZE up to 2^48-1, times up to 2^64-1.
func randomOps(rng *rand.Rand, n int) []Op {
	var ops []Op
	live := map[uint64]bool{}
	var ids []uint64
	next := uint64(1)
	var now, prev uint64
	pick := func() (int, uint64) { i := rng.Intn(len(ids)); return i, ids[i] }
	sched := func() uint32 {
		if rng.Intn(50) == 0 {
			return math.MaxUint32 - uint32(rng.Intn(3))
		}
		return uint32(rng.Intn(9))
	}
	size := func() uint64 {
		switch rng.Intn(20) {
		case 0:
			return MaxSize - 1 - uint64(rng.Intn(3))
		case 1:
			return 1
		case 2:
			return uint64(rng.Int63n(1 << 30))
		}
		return uint64(1 + rng.Intn(5000))
	}
	ops = append(ops, Op{Kind: Directive, Key: "schedulers", Value: "8"})
	for len(ops) < n {
		switch k := rng.Intn(100); {
		case k < 2:
			ops = append(ops, Op{Kind: Directive, Key: "source", Value: "random\ttrace  x"})
		case k < 3:
			ops = append(ops, Op{Kind: Directive, Key: "empty"})
		case k < 40 || len(ids) == 0:
			id := next
			switch rng.Intn(30) {
			case 0:
				id = math.MaxUint64 - uint64(rng.Intn(1000))
			case 1:
				id = rng.Uint64()
			default:
				next++
			}
			if live[id] {
				continue
			}
			live[id] = true
			ids = append(ids, id)
			ops = append(ops, Op{Kind: Alloc, ID: id, Type: binTraceTypes[rng.Intn(len(binTraceTypes))], Sched: sched(), Size: size()})
		case k < 60:
			_, id := pick()
			op := Op{Kind: Realloc, ID: id, Size: size()}
			if rng.Intn(2) == 0 {
				op.Sched, op.HasSched = sched(), true
			}
			ops = append(ops, op)
		case k < 90:
			i, id := pick()
			ids[i] = ids[len(ids)-1]
			ids = ids[:len(ids)-1]
			delete(live, id)
			op := Op{Kind: Free, ID: id}
			if rng.Intn(2) == 0 {
				op.Sched, op.HasSched = sched(), true
			}
			ops = append(ops, op)
		default:
			switch rng.Intn(10) {
			case 0:
			case 1:
				if now < math.MaxUint64-1<<40 {
					now += uint64(rng.Int63n(1 << 40))
				}
			default:
				now += uint64(rng.Intn(100000))
			}
			if rng.Intn(500) == 0 || now < prev {
				now = math.MaxUint64
			}
			prev = now
			ops = append(ops, Op{Kind: Time, Nanos: now})
		}
	}
	return ops
}

func TestBinaryRoundTripRandom(t *testing.T) {
	for seed := int64(1); seed <= 5; seed++ {
		ops := randomOps(rand.New(rand.NewSource(seed)), 20000)
		text := textOf(t, ops)
		// Add what the canonical text drops: comments, blank lines,
		// aliases, blanks.
		var b bytes.Buffer
		for i, line := range strings.SplitAfter(string(text), "\n") {
			if i > 0 && i%7 == 0 {
				b.WriteString("# comment\n\n")
			}
			if i > 0 && i%5 == 0 {
				line = "  " + strings.ReplaceAll(strings.Replace(line, " ", "\t ", 1), "binary_alloc", "B")
			}
			b.WriteString(line)
		}
		checkRoundTrip(t, "random", b.Bytes())
		got := readOps(t, NewBinaryReader(bytes.NewReader(binaryOf(t, ops)), "random"))
		for i := range ops {
			ops[i].Line = i + 2
		}
		if !reflect.DeepEqual(got, ops) {
			t.Fatalf("seed %d: ops differ after a binary round trip", seed)
		}
	}
}

// bin builds binary trace bytes: the header, then the given pieces: a byte
// is a byte, a uv an unsigned varint, a zz a zig-zag varint, a string its
// bytes.
type uv uint64
type zz int64

func bin(pieces ...any) []byte {
	b := []byte(BinaryMagic + "\x01")
	for _, p := range pieces {
		switch p := p.(type) {
		case byte:
			b = append(b, p)
		case int:
			b = append(b, byte(p))
		case uv:
			b = appendUvarint(b, uint64(p))
		case zz:
			b = appendUvarint(b, zigzag(int64(p)))
		case string:
			b = append(b, p...)
		default:
			panic(p)
		}
	}
	return b
}

const aB = codeAlloc | int(allocator.Binary)<<3

type binErrReader struct {
	data []byte
	err  error
}

func (r *binErrReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestBinaryErrors(t *testing.T) {
	a1 := []any{aB, zz(1), uv(1), uv(100)} // a 1 binary_alloc 1 100
	cat := func(a ...[]any) []any {
		var r []any
		for _, x := range a {
			r = append(r, x...)
		}
		return r
	}
	for _, tc := range []struct {
		name string
		in   []byte
		line int
		msg  string
	}{
		{"empty", nil, 1, "empty input"},
		{"bad magic", []byte("alloclab-trace 1\n"), 1, "bad magic"},
		{"short magic", []byte("AL"), 1, "truncated header"},
		{"no version", []byte("ALTR"), 1, "truncated header"},
		{"version", []byte("ALTR\x02"), 1, "unsupported binary trace version 2"},
		{"version 0", []byte("ALTR\x00"), 1, "unsupported binary trace version 0"},
		{"record code", bin(a1[0], a1[1], a1[2], a1[3], 0x05), 3, "bad record byte 0x05: unknown record code 5"},
		{"record code 7", bin(0x07), 2, "unknown record code 7"},
		{"truncated a", bin(aB, zz(1), uv(1)), 2, "truncated a record"},
		{"truncated varint", bin(aB, zz(1), uv(1), 0x80), 2, "truncated a record"},
		{"truncated r", bin(cat(a1, []any{codeRealloc | flagSched, zz(0), uv(5)})...), 3, "truncated r record"},
		{"truncated t", bin(codeTime), 2, "truncated t record"},
		{"truncated @", bin(codeDirective, uv(3), uv(5), "keyva"), 2, "truncated @ record"},
		{"bad varint", bin(codeTime, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"), 2, "bad varint"},
		{"varint overflow", bin(codeTime, "\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02"), 2, "bad varint"},
		{"type 0", bin(codeAlloc, zz(1), uv(1), uv(100)), 2, "unknown allocator type 0"},
		{"type 31", bin(codeAlloc|31<<3, zz(1), uv(1), uv(100)), 2, "unknown allocator type 31"},
		{"size 0", bin(aB, zz(1), uv(1), uv(0)), 2, "bad SIZE 0: expected 0 < SIZE < 2^48"},
		{"size 2^48", bin(aB, zz(1), uv(1), uv(MaxSize)), 2, "bad SIZE 281474976710656"},
		{"r size 0", bin(cat(a1, []any{codeRealloc, zz(0), uv(0)})...), 3, "bad SIZE 0"},
		{"sched 2^32", bin(aB, zz(1), uv(1<<32), uv(100)), 2, "bad SCHED 4294967296: expected 0 <= SCHED < 2^32"},
		{"f sched 2^32", bin(cat(a1, []any{codeFree | flagSched, zz(0), uv(1 << 32)})...), 3, "bad SCHED 4294967296"},
		{"a live", bin(cat(a1, []any{aB, zz(0), uv(1), uv(100)})...), 3, "a: ID 1 is still live"},
		{"r not live", bin(cat(a1, []any{codeRealloc, zz(1), uv(5)})...), 3, "r: ID 2 is not live"},
		{"f not live", bin(codeFree, zz(7)), 2, "f: ID 7 is not live"},
		{"f twice", bin(cat(a1, []any{codeFree, zz(0), codeFree, zz(0)})...), 4, "f: ID 1 is not live"},
		{"r flags", bin(cat(a1, []any{codeRealloc | 0x10, zz(0), uv(5)})...), 3, "bad record byte 0x11: r takes no flags"},
		{"t flags", bin(codeTime|flagSched, uv(5)), 2, "bad record byte 0x0b: t takes no flags"},
		{"@ flags", bin(codeDirective|0x10, uv(1), uv(0), "k"), 2, "bad record byte 0x14: @ takes no flags"},
		{"t overflow", bin(codeTime, uv(math.MaxUint64), codeTime, uv(1)), 3, "t: time goes beyond 2^64-1"},
		{"@ empty key", bin(codeDirective, uv(0), uv(1), "v"), 2, "@: empty KEY"},
		{"@ blank key", bin(codeDirective, uv(3), uv(0), "a b"), 2, "contains a blank"},
		{"@ value blanks", bin(codeDirective, uv(1), uv(2), "kv "), 2, "trailing blanks"},
		{"@ value newline", bin(codeDirective, uv(1), uv(3), "kv\nw"), 2, "line end or NUL"},
		{"@ too long", bin(codeDirective, uv(1), uv(MaxLineLen)), 2, "directive too long"},
		{"@ huge", bin(codeDirective, uv(math.MaxUint64), uv(math.MaxUint64)), 2, "directive too long"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd := NewBinaryReader(bytes.NewReader(tc.in), "x.altr")
			for rd.Scan() {
			}
			var se *SyntaxError
			if err := rd.Err(); !errors.As(err, &se) {
				t.Fatalf("error %v, want a *SyntaxError", err)
			}
			if se.File != "x.altr" || se.Line != tc.line || !strings.Contains(se.Msg, tc.msg) {
				t.Fatalf("error %q, want x.altr:%d: ...%s...", se, tc.line, tc.msg)
			}
			if rd.Scan() {
				t.Fatal("Scan after an error returned true")
			}
		})
	}
}

func TestBinaryReadError(t *testing.T) {
	boom := errors.New("boom")
	in := bin(aB, zz(1), uv(1), uv(100), codeTime, uv(5))
	for cut := 0; cut <= len(in); cut++ {
		rd := NewBinaryReader(&binErrReader{in[:cut], boom}, "x")
		for rd.Scan() {
		}
		if err := rd.Err(); !errors.Is(err, boom) || !strings.Contains(err.Error(), "read error") {
			t.Fatalf("cut %d: error %v, want a read error wrapping boom", cut, err)
		}
	}
}

func TestBinaryLenient(t *testing.T) {
	in := bin(aB, zz(1), uv(1), uv(100), // 2: a 1
		aB, zz(0), uv(1), uv(100), // 3: a 1 again: skipped
		codeAlloc, zz(1), uv(1), uv(5), // 4: type 0 (ID 2): skipped
		aB, zz(1), uv(1), uv(0), // 5: size 0 (ID 3): skipped
		codeFree, zz(-2), // 6: f 1
		codeDirective, uv(0), uv(0), // 7: empty key: skipped
		codeTime, uv(10), // 8: t 10
		0x07) // 9: ends the scan
	rd := NewBinaryReader(bytes.NewReader(in), "x")
	rd.SetLenient(true)
	var got []Op
	for rd.Scan() {
		got = append(got, rd.Op())
	}
	want := []Op{
		{Kind: Alloc, ID: 1, Type: allocator.Binary, Sched: 1, Size: 100, Line: 2},
		{Kind: Free, ID: 1, Line: 6},
		{Kind: Time, Nanos: 10, Line: 8},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if rd.Skipped() != 4 || rd.FirstSkipped() == nil || !strings.Contains(rd.FirstSkipped().Error(), "x:3: a: ID 1 is still live") {
		t.Fatalf("skipped %d, first %v", rd.Skipped(), rd.FirstSkipped())
	}
	if err := rd.Err(); err == nil || !strings.Contains(err.Error(), "x:9: bad record byte") {
		t.Fatalf("error %v", err)
	}
}

type binMapLive map[uint64]bool

func (m binMapLive) Live(id uint64) bool { return m[id] }

func TestBinaryLiveSet(t *testing.T) {
	in := bin(codeFree, zz(5), aB, zz(1), uv(0), uv(8))
	rd := NewBinaryReader(bytes.NewReader(in), "x")
	rd.SetLiveSet(binMapLive{5: true})
	ops := readOps(t, rd)
	if len(ops) != 2 || ops[0].ID != 5 || ops[1].ID != 6 {
		t.Fatalf("%+v", ops)
	}
	rd = NewBinaryReader(bytes.NewReader(in), "x")
	rd.SetLiveSet(binMapLive{6: true})
	for rd.Scan() {
	}
	if err := rd.Err(); err == nil || !strings.Contains(err.Error(), "x:2: f: ID 5 is not live") {
		t.Fatalf("error %v", err)
	}
}

func TestBinaryWriterRefuses(t *testing.T) {
	for _, op := range []Op{
		{Kind: Alloc, ID: 1, Type: 0, Size: 1},
		{Kind: Alloc, ID: 1, Type: allocator.Binary, Size: 0},
		{Kind: Realloc, ID: 1, Size: MaxSize},
		{Kind: Directive, Key: ""},
		{Kind: Directive, Key: "k", Value: " v"},
		{Kind: 'x'},
	} {
		var b bytes.Buffer
		w := NewBinaryWriter(&b)
		if err := w.Write(op); !errors.Is(err, ErrBadOp) {
			t.Errorf("%+v: error %v, want ErrBadOp", op, err)
		}
	}
	var b bytes.Buffer
	w := NewBinaryWriter(&b)
	if err := w.Write(Op{Kind: Time, Nanos: 10}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Op{Kind: Time, Nanos: 9}); !errors.Is(err, ErrBadOp) || !strings.Contains(err.Error(), "backwards") {
		t.Fatalf("t backwards: error %v", err)
	}
	// A refused op changes nothing.
	writeOps(t, w, []Op{{Kind: Time, Nanos: 12}})
	if got := readOps(t, NewBinaryReader(&b, "x")); len(got) != 2 || got[1].Nanos != 12 {
		t.Fatalf("%+v", got)
	}
}

// TestBinarySizes logs the bytes per record of a 100k-op trace in each
// form.
func TestBinarySizes(t *testing.T) {
	ops := dense(randomOps(rand.New(rand.NewSource(7)), 100000))
	text, binary := textOf(t, ops), binaryOf(t, ops)
	gz := func(b []byte) int {
		var out bytes.Buffer
		zw := gzip.NewWriter(&out)
		zw.Write(b)
		zw.Close()
		return out.Len()
	}
	n := float64(len(ops))
	t.Logf("%d records, bytes per record: text %.2f, binary %.2f, text.gz %.2f, binary.gz %.2f",
		len(ops), float64(len(text))/n, float64(len(binary))/n, float64(gz(text))/n, float64(gz(binary))/n)
	if len(binary)*2 > len(text) {
		t.Errorf("binary %d bytes is not less than half of text %d", len(binary), len(text))
	}
}

// dense makes randomOps more like a real trace: small IDs, schedulers and
// sizes.
func dense(ops []Op) []Op {
	out := ops[:0]
	ids := map[uint64]uint64{}
	next := uint64(1)
	var now uint64
	for _, op := range ops {
		switch op.Kind {
		case Alloc:
			ids[op.ID] = next
			op.ID = next
			next++
		case Realloc, Free:
			op.ID = ids[op.ID]
		case Time:
			now += op.Nanos % 5000
			op.Nanos = now
		}
		op.Sched %= 9
		if op.Size > 1<<20 {
			op.Size %= 1 << 20
			op.Size++
		}
		out = append(out, op)
	}
	return out
}

// benchOps is a 100k-record trace without directives (whose strings
// allocate).
func benchOps() []Op {
	var ops []Op
	for _, op := range dense(randomOps(rand.New(rand.NewSource(3)), 100000)) {
		if op.Kind != Directive {
			ops = append(ops, op)
		}
	}
	return ops
}

// BenchmarkBinaryReader reads a 100k-record trace in binary form, and for
// comparison in text form. The allocations per op are those of a new
// reader (its buffer and live-ID set), none per record.
func BenchmarkBinaryReader(b *testing.B) {
	ops := benchOps()
	for _, form := range []string{"binary", "text"} {
		b.Run(form, func(b *testing.B) {
			in := binaryOf(b, ops)
			if form == "text" {
				in = textOf(b, ops)
			}
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			records := 0
			for b.Loop() {
				var rd OpReader
				if form == "text" {
					rd = NewReader(bytes.NewReader(in), "bench")
				} else {
					rd = NewBinaryReader(bytes.NewReader(in), "bench")
				}
				for rd.Scan() {
					records++
				}
				if rd.Err() != nil {
					b.Fatal(rd.Err())
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(records), "ns/record")
		})
	}
}

// TestBinaryReaderAllocs checks that reading a/r/f/t records does not
// allocate once the reader has warmed up.
func TestBinaryReaderAllocs(t *testing.T) {
	var ops []Op
	for i := range 200000 {
		id := uint64(i%1000 + 1)
		if (i/1000)%2 == 0 {
			ops = append(ops, Op{Kind: Alloc, ID: id, Type: allocator.ETS, Sched: 1, Size: uint64(i%4000 + 1)})
		} else {
			ops = append(ops, Op{Kind: Free, ID: id, HasSched: true, Sched: 2}, Op{Kind: Time, Nanos: uint64(i)})
		}
	}
	rd := NewBinaryReader(bytes.NewReader(binaryOf(t, ops)), "x")
	for range 50000 {
		rd.Scan()
	}
	if a := testing.AllocsPerRun(100000, func() {
		if !rd.Scan() {
			t.Fatal(rd.Err())
		}
	}); a != 0 {
		t.Fatalf("%v allocs per record", a)
	}
}

// TestBinaryFormatExample checks the example of BINARY-FORMAT.md byte for
// byte.
func TestBinaryFormatExample(t *testing.T) {
	text := "alloclab-trace 1\n@ schedulers 2\na 1 binary_alloc 1 1000\na 2 binary_alloc 1 70000\nt 1000000\nf 1 2\nr 2 600000\nf 2\n"
	want := []byte{0x41, 0x4C, 0x54, 0x52, 0x01,
		0x04, 0x0A, 0x01, 0x73, 0x63, 0x68, 0x65, 0x64, 0x75, 0x6C, 0x65, 0x72, 0x73, 0x32,
		0x48, 0x02, 0x01, 0xE8, 0x07,
		0x48, 0x02, 0x01, 0xF0, 0xA2, 0x04,
		0x03, 0xC0, 0x84, 0x3D,
		0x0A, 0x01, 0x02,
		0x01, 0x02, 0xC0, 0xCF, 0x24,
		0x02, 0x00}
	got := binaryOf(t, readOps(t, NewReader(strings.NewReader(text), "x")))
	if !bytes.Equal(got, want) || len(text) != 112 {
		t.Fatalf("got % X (text %d bytes)", got, len(text))
	}
}
