package refc

// Heap and virtual-binary-heap sizes (facts §3.3).

// heapSizes is erl_gc.c's heap_sizes table: 12 and 38, then a Fibonacci-like
// sequence (each entry the sum of the two before plus one word of block
// header) up to index 22 (833,026 words, "1.3 mega words"), then 20 %
// growth. It gives min_heap_size 233, the default vheap 46,422 (VH_DEFAULT_SIZE
// 32,768 rounded up to an entry) and +hmbs 2500 → 2,586, the values the
// facts measured.
var heapSizes = func() []uint64 {
	hs := []uint64{12, 38}
	for i := 2; i < 23; i++ {
		hs = append(hs, hs[i-1]+hs[i-2]+1)
	}
	for len(hs) < 80 {
		last := hs[len(hs)-1]
		hs = append(hs, last+last/5)
	}
	return hs
}()

// NextHeapSize is the smallest heap-size table entry of at least words
// words (erts_next_heap_size).
func NextHeapSize(words uint64) uint64 {
	for _, s := range heapSizes {
		if s >= words {
			return s
		}
	}
	return heapSizes[len(heapSizes)-1]
}

const (
	// wordSize is the 64-bit BEAM's word.
	wordSize = 8
	// onHeapBinLimit is ERL_ONHEAP_BIN_LIMIT: binaries of at most 64 bytes
	// are heap binaries (facts §3.1, VERIFIED 64 B → heap, 65 B → refc).
	onHeapBinLimit = 64
	// procBinWords is an OTP ≤ 26 ProcBin: thing word, size, next, val,
	// bytes, flags (facts §3.1).
	procBinWords = 6
	// subBinWords is an OTP 25 sub-binary: thing word, size, offset, packed
	// bit fields, orig (facts §3.1).
	subBinWords = 5
	// binaryHeader is the Binary object's header: flags, refc, orig_size
	// (OTP 20–26, facts §3.1). The allocator adds its 8-byte block header
	// and, with atags (default on binary_alloc), an 8-byte tag.
	binaryHeader = 24
	// fileBinaryExtra: a file:read_file/1 binary costs 8 bytes more than an
	// ordinary one of the same size (facts §8).
	fileBinaryExtra = 8
	// DefaultMinHeapSize is min_heap_size (facts §3.3).
	DefaultMinHeapSize = 233
	// vhDefaultSize is VH_DEFAULT_SIZE; min_bin_vheap_size is it rounded up
	// to a heap size: 46,422 words = 371,376 bytes (facts §3.3).
	vhDefaultSize = 32768
	// DefaultFullsweepAfter is fullsweep_after (facts §3.3).
	DefaultFullsweepAfter = 65535
	// shrinkThreshold: after a fullsweep a heap is only shrunk when it is
	// larger than this many words (erl_gc.c adjust_after_fullsweep); the
	// model's choice, documented in gc.go.
	shrinkThreshold = 3000
)

// DefaultMinBinVheap is the system's min_bin_vheap_size: 46,422 words.
var DefaultMinBinVheap = NextHeapSize(vhDefaultSize)

// heapBinWords is a heap binary of n bytes: 2 header words (thing word,
// byte size) and the bytes rounded up to words (facts §3.1, VERIFIED 1 B →
// 3 words, 64 B → 10 words).
func heapBinWords(n uint64) uint64 { return 2 + (n+wordSize-1)/wordSize }

// vheapWords is what a reference adds to the virtual binary heap: its
// visible size in words, truncated (facts §3.3: 22 × 10,000 B = 27,500
// words; 20 × 100-byte slices = 240 words, the OTP 25 quirk).
func vheapWords(size uint64) uint64 { return size / wordSize }

// nextVheapSize is erl_gc.c's resize of a vheap limit after a collection
// with vheap surviving words (facts §3.3): while the survivors are above
// three quarters of the limit (vheap/3 > sz/4) the limit is multiplied by
// 1.618 (truncated: 46,422 → 75,110 → 121,527 → 196,630, VERIFIED);
// otherwise below a quarter it is halved; never below min.
func nextVheapSize(vheap, sz, min uint64) uint64 {
	if vheap/3 > sz/4 {
		for vheap/3 > sz/4 {
			sz = uint64(float64(sz) * 1.618)
		}
	} else if vheap < sz/4 {
		sz /= 2
	}
	return max(sz, min)
}
