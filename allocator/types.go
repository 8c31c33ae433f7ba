package allocator

import "fmt"

// Type is an alloc_util allocator type (ERTS_ALC_A_*), numbered in the
// runtime's order (erts-alloc-facts §1.2). The zero value is not a type.
type Type uint8

const (
	Temp Type = iota + 1
	SL
	STD
	LL
	EHeap
	ETS
	Fix
	Literal
	Binary
	Driver
	// Test is the runtime's private test allocator (flag letter Z); --single
	// replays run on one instance of it, exactly like the oracle.
	Test
)

// NumTypes is the number of alloc_util allocator types a trace can name.
const NumTypes = 10

var typeNames = [...]string{"", "temp_alloc", "sl_alloc", "std_alloc", "ll_alloc",
	"eheap_alloc", "ets_alloc", "fix_alloc", "literal_alloc", "binary_alloc",
	"driver_alloc", "test_alloc"}

var typeLetters = [...]byte{0, 'T', 'S', 'D', 'L', 'H', 'E', 'F', 'I', 'B', 'R', 'Z'}

// String returns the name ERTS uses, e.g. "binary_alloc".
func (t Type) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Letter returns the +M<S> flag letter of the type.
func (t Type) Letter() byte {
	if int(t) < len(typeLetters) {
		return typeLetters[t]
	}
	return 0
}

// ParseType accepts an allocator name ("binary_alloc") or its flag letter
// ("B") as the trace format allows (spec/trace-format.md). test_alloc is not
// a trace type.
func ParseType(s string) (Type, bool) {
	if len(s) == 1 {
		for t := Temp; t <= Driver; t++ {
			if typeLetters[t] == s[0] {
				return t, true
			}
		}
		return 0, false
	}
	for t := Temp; t <= Driver; t++ {
		if typeNames[t] == s {
			return t, true
		}
	}
	return 0, false
}
