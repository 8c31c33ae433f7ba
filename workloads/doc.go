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
//
// Synthetic workload generators will live here later.
package workloads
