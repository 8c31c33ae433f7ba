// Package workloads describes allocator-level workloads: sequences of Op
// records (allocate, realloc, free, advance the clock, header directive)
// that the simulator replays against its allocator models.
//
// For now it holds the reader and writer of the text trace format
// "alloclab-trace 1" (shared/spec/trace-format.md), the interchange format
// that the ERTS oracle replays too:
//
//   - Reader streams a trace line by line, like bufio.Scanner, checking
//     syntax, ranges, block liveness and clock monotonicity, and reports
//     errors as *SyntaxError ("FILE:LINE: MSG"). A lenient mode counts and
//     skips bad lines instead.
//   - Writer writes Ops back in canonical form; what it writes, Reader
//     reads back as the same Ops.
//   - Open opens a trace file by name ("-" is standard input).
//   - BinaryReader and BinaryWriter are the same for the binary twin
//     (BINARY-FORMAT.md); OpenTrace and CreateTrace pick text or binary,
//     gzipped or not.
//
// And the generators: size distributions (dist.go, ParseSizeDist),
// lifetimes and lifetime policies (lifetime.go, ParseLifetime: exp,
// bimodal, cohort, lifo, fifo, …), phases (phase.go, ParsePhases),
// the runtime's process heap sizes (process.go, HeapSizes), a Generator
// that turns them into ops in memory bounded by the live set (gen.go),
// and the named scenarios of alloclab gen/run (scenario.go).
package workloads
