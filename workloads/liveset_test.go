package workloads

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestIDSet checks idSet against a map over dense, sparse and extreme IDs,
// through growth of both parts and the moves between them.
func TestIDSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var s idSet
	ref := map[uint64]bool{}
	pick := func() uint64 {
		switch rng.IntN(6) {
		case 0:
			return uint64(rng.IntN(1 << 12))
		case 1:
			return uint64(rng.IntN(1 << 20))
		case 2:
			return uint64(rng.IntN(1 << 27)) // beyond the bitmap bound
		case 3:
			return rng.Uint64()
		case 4:
			return math.MaxUint64 - uint64(rng.IntN(3))
		default:
			return uint64(rng.IntN(64)) << 32 // colliding low bits
		}
	}
	for i := 0; i < 300000; i++ {
		id := pick()
		if rng.IntN(3) == 0 && len(ref) > 0 {
			// remove a live one, sometimes
			for k := range ref {
				id = k
				break
			}
		}
		switch rng.IntN(3) {
		case 0:
			if got := s.add(id); got != !ref[id] {
				t.Fatalf("add(%d) = %v, live %v", id, got, ref[id])
			}
			ref[id] = true
		case 1:
			if got := s.remove(id); got != ref[id] {
				t.Fatalf("remove(%d) = %v, live %v", id, got, ref[id])
			}
			delete(ref, id)
		default:
			if got := s.has(id); got != ref[id] {
				t.Fatalf("has(%d) = %v, want %v", id, got, ref[id])
			}
		}
	}
	for id := range ref {
		if !s.has(id) {
			t.Fatalf("lost %d", id)
		}
	}
	if len(s.bits) == 0 || len(s.bits) > maxDenseWords || s.hash.n == 0 {
		t.Errorf("both parts should be in use: %d bitmap words, %d hashed", len(s.bits), s.hash.n)
	}
}

// IDs first seen far beyond the bitmap go to the hash set, and move into
// the bitmap when it grows over them.
func TestIDSetMigrates(t *testing.T) {
	var s idSet
	s.add(200000) // word 3125: not dense yet
	if len(s.bits) != 0 || s.hash.n != 1 {
		t.Fatalf("bits %d, hashed %d", len(s.bits), s.hash.n)
	}
	for id := uint64(0); id < 200000; id++ {
		if !s.add(id) {
			t.Fatalf("add(%d) = false", id)
		}
	}
	if s.hash.n != 0 || !s.has(200000) || s.add(200000) {
		t.Errorf("200000 not moved to the bitmap: hashed %d", s.hash.n)
	}
	if !s.remove(200000) || s.has(200000) || s.remove(200000) {
		t.Errorf("remove after move")
	}
}
