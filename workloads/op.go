package workloads

import "alloclab/allocator"

// Kind is the kind of one trace record (spec/trace-format.md).
type Kind uint8

const (
	Alloc     Kind = 'a' // a ID TYPE SCHED SIZE
	Realloc   Kind = 'r' // r ID SIZE [SCHED]
	Free      Kind = 'f' // f ID [SCHED]
	Time      Kind = 't' // t NANOS
	Directive Kind = '@' // @ KEY VALUE...
)

// Op is one record of a workload: what the trace reader returns for each
// a/r/f/t/@ line and what generators produce. Only the fields of its Kind are
// meaningful.
type Op struct {
	Kind  Kind
	ID    uint64         // a, r, f
	Type  allocator.Type // a
	Sched uint32         // a; r and f when HasSched
	// HasSched is set when an r or f record names the calling scheduler;
	// otherwise the allocating scheduler is meant.
	HasSched bool
	Size     uint64 // a, r: user bytes, 0 < Size < 2^48
	Nanos    uint64 // t
	Key      string // @: directive name (e.g. "flags")
	Value    string // @: the rest of the line after the key, blanks trimmed
	Line     int    // 1-based line number in the source (0 for generated ops)
}

// MaxSize is the exclusive upper bound of a SIZE field.
const MaxSize = 1 << 48
