package workloads

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// rapidTrace draws a valid text trace: a/r/f of live IDs (dense, far and
// reused), t records that never go back, directives, and what the
// canonical text drops (comments, blank lines, type aliases, extra
// blanks).
func rapidTrace(t *rapid.T) string {
	var b strings.Builder
	b.WriteString(Magic + "\n")
	var live []uint64
	isLive := map[uint64]bool{}
	next := uint64(1)
	var now uint64
	blank := func() string { return rapid.SampledFrom([]string{" ", " ", "\t", "  "}).Draw(t, "blank") }
	sched := func() uint64 {
		return rapid.OneOf(rapid.Uint64Range(0, 16), rapid.Uint64Range(0, math.MaxUint32)).Draw(t, "sched")
	}
	size := func() uint64 {
		return rapid.OneOf(rapid.Uint64Range(1, 5000), rapid.Uint64Range(1, MaxSize-1)).Draw(t, "size")
	}
	n := rapid.IntRange(0, 200).Draw(t, "n")
	for range n {
		switch k := rapid.IntRange(0, 9).Draw(t, "kind"); {
		case k <= 3 || len(live) == 0:
			id := next
			if rapid.IntRange(0, 9).Draw(t, "far") == 0 {
				id = rapid.Uint64().Draw(t, "id")
			}
			if isLive[id] {
				continue
			}
			if id == next {
				next++
			}
			isLive[id] = true
			live = append(live, id)
			typ := rapid.SampledFrom(binTraceTypes).Draw(t, "type")
			name := typ.String()
			if rapid.Bool().Draw(t, "alias") {
				name = string(typ.Letter())
			}
			b.WriteString("a" + blank() + u64(id) + blank() + name + blank() + u64(sched()) + blank() + u64(size()) + "\n")
		case k <= 5:
			i := rapid.IntRange(0, len(live)-1).Draw(t, "r")
			b.WriteString("r " + u64(live[i]) + " " + u64(size()))
			if rapid.Bool().Draw(t, "rs") {
				b.WriteString(" " + u64(sched()))
			}
			b.WriteString("\n")
		case k <= 7:
			i := rapid.IntRange(0, len(live)-1).Draw(t, "f")
			b.WriteString("f " + u64(live[i]))
			if rapid.Bool().Draw(t, "fs") {
				b.WriteString(" " + u64(sched()))
			}
			b.WriteString("\n")
			delete(isLive, live[i])
			live[i] = live[len(live)-1]
			live = live[:len(live)-1]
		case k == 8:
			dt := rapid.OneOf(rapid.Uint64Range(0, 1000), rapid.Uint64Range(0, math.MaxUint64-now)).Draw(t, "dt")
			now += min(dt, math.MaxUint64-now)
			b.WriteString("t " + u64(now) + "\n")
		default:
			switch rapid.IntRange(0, 2).Draw(t, "extra") {
			case 0:
				b.WriteString("# " + rapid.StringMatching(`[a-z ]{0,10}`).Draw(t, "comment") + "\n\n")
			case 1:
				b.WriteString("@ " + rapid.StringMatching(`[a-z]{1,8}`).Draw(t, "key") + " " +
					rapid.StringMatching(`[a-z0-9+]([a-z0-9 +]{0,10}[a-z0-9+])?`).Draw(t, "value") + "\n")
			case 2:
				b.WriteString("@ schedulers " + u64(rapid.Uint64Range(1, 64).Draw(t, "n")) + "\n")
			}
		}
	}
	return b.String()
}

func u64(x uint64) string { return strconv.FormatUint(x, 10) }

// TestBinaryRoundTripProperty: for any valid text trace, text → binary →
// text gives exactly the canonical text (what the text Writer writes of
// the trace's ops), and the binary reader returns the same ops, record
// numbers included, as the text reader does of the canonical text.
func TestBinaryRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := rapidTrace(t)
		ops := readOpsRapid(t, NewReader(strings.NewReader(text), "in"))
		canon := textOfRapid(t, ops)
		var bin bytes.Buffer
		w := NewBinaryWriter(&bin)
		for _, op := range ops {
			if err := w.Write(op); err != nil {
				t.Fatalf("binary write: %v", err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		back := readOpsRapid(t, NewBinaryReader(bytes.NewReader(bin.Bytes()), "in.altr"))
		if got := textOfRapid(t, back); got != canon {
			t.Fatalf("text → binary → text differs:\n%s\nvs\n%s", got, canon)
		}
		want := readOpsRapid(t, NewReader(strings.NewReader(canon), "canon"))
		if !sameBinOps(back, want) {
			t.Fatalf("binary ops differ from the canonical text's ops")
		}
	})
}

func readOpsRapid(t *rapid.T, rd OpReader) []Op {
	var ops []Op
	for rd.Scan() {
		ops = append(ops, rd.Op())
	}
	if err := rd.Err(); err != nil {
		t.Fatalf("read: %v", err)
	}
	return ops
}

func textOfRapid(t *rapid.T, ops []Op) string {
	var b bytes.Buffer
	w := NewWriter(&b)
	for _, op := range ops {
		if err := w.Write(op); err != nil {
			t.Fatalf("text write: %v", err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestBinaryErrorOffsets: every error of the binary reader says at which
// byte the bad record starts (and, truncated, where the input ends),
// also past the reader's first buffer.
func TestBinaryErrorOffsets(t *testing.T) {
	a1 := bin(aB, zz(1), uv(1), uv(100)) // 5-byte header + 4
	// Enough records to cross the 128 KiB buffer: a/f pairs of ID 1.
	var long []byte
	long = append(long, a1...)
	for range 40000 {
		long = append(long, codeFree, 0, byte(aB), 0, 1, 100) // f 1, a 1 binary_alloc 1 100
	}
	for _, tc := range []struct {
		name string
		in   []byte
		msg  string
	}{
		{"bad magic", []byte("ALXX\x01"), "(at byte offset 0)"},
		{"record code", append(append([]byte{}, a1...), 0x05), "unknown record code 5 (at byte offset 9)"},
		{"truncated", append(append([]byte{}, a1...), byte(aB), 2), "truncated a record (the input ends within it, after byte offset 10) (at byte offset 9)"},
		{"not live", append(append([]byte{}, a1...), codeFree, 2), "f: ID 2 is not live (at byte offset 9)"},
		{"far", append(append([]byte{}, long...), 0x06), "unknown record code 6 (at byte offset " + strconv.Itoa(len(long)) + ")"},
		{"far truncated", append(append([]byte{}, long...), byte(aB), 2, 1), "after byte offset " + strconv.Itoa(len(long)+2) + ") (at byte offset " + strconv.Itoa(len(long)) + ")"},
	} {
		rd := NewBinaryReader(bytes.NewReader(tc.in), "x.altr")
		for rd.Scan() {
		}
		if err := rd.Err(); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.msg)
		}
	}
}

// TestFastVarint: the fast path's varint decoding agrees with the general
// one for values of every length, minimal or not, and for the three
// fields of a record in every combination of lengths.
func TestFastVarint(t *testing.T) {
	var vals []uint64
	for n := 0; n < 64; n++ {
		vals = append(vals, 1<<n, 1<<n-1, 1<<n|1<<(n/2))
	}
	vals = append(vals, 0, math.MaxUint64)
	pad := make([]byte, 16)
	for _, v := range vals {
		for _, enc := range [][]byte{appendUvarint(nil, v), nonMinimal(v)} {
			b := append(append([]byte{}, enc...), pad...)
			want, j, n := uvarint(b, 0)
			got, k := varint8(b)
			if n == 1 && j <= 8 && (got != want || k != j) {
				t.Fatalf("varint8(% x) = %d, %d; want %d, %d", enc, got, k, want, j)
			}
			if n == 1 && j > 8 && k != 9 {
				t.Fatalf("varint8(% x): length %d, want 9 (too long)", enc, k)
			}
		}
	}
	// Records through the reader: a f r t with fields of 1..10 bytes.
	for _, v1 := range []uint64{1, 200, 70000, 1 << 30, 1 << 47} {
		for _, v2 := range []uint64{0, 5, 300, 1 << 31, math.MaxUint32} {
			for _, d := range []uint64{0, 1, 1000, 1 << 40, math.MaxUint64 >> 1} {
				ops := []Op{
					{Kind: Alloc, ID: 7, Type: binTraceTypes[int(v1%uint64(len(binTraceTypes)))], Sched: uint32(v2), Size: v1},
					{Kind: Realloc, ID: 7, Size: v1 + 1, Sched: uint32(v2), HasSched: true},
					{Kind: Time, Nanos: d},
					{Kind: Alloc, ID: 8 + d, Type: binTraceTypes[0], Sched: 1, Size: v1},
					{Kind: Free, ID: 7, Sched: uint32(v2), HasSched: v2 != 0},
					{Kind: Free, ID: 8 + d},
				}
				var bb bytes.Buffer
				w := NewBinaryWriter(&bb)
				for _, op := range ops {
					if err := w.Write(op); err != nil {
						t.Fatal(err)
					}
				}
				w.Flush()
				rd := NewBinaryReader(bytes.NewReader(bb.Bytes()), "x")
				var got []Op
				for rd.Scan() {
					op := rd.Op()
					op.Line = 0
					got = append(got, op)
				}
				if rd.Err() != nil || !sameBinOps(got, ops) {
					t.Fatalf("v1 %d v2 %d d %d: %v\n got %+v\nwant %+v", v1, v2, d, rd.Err(), got, ops)
				}
			}
		}
	}
}

// nonMinimal encodes v with one more byte than needed (a trailing 0x00
// group), which readers accept.
func nonMinimal(v uint64) []byte {
	b := appendUvarint(nil, v)
	if len(b) >= 10 {
		return b
	}
	b[len(b)-1] |= 0x80
	return append(b, 0)
}
