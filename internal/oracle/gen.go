package oracle

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
)

// Shape is a kind of random trace for differential tests.
type Shape string

const (
	// Random: log-uniform sizes 8 B–2 MiB around 400 live blocks, 20 %
	// reallocs (like ../shared/oracle/gen.py).
	Random Shape = "random"
	// Burst: bursts of allocations, most freed soon after: carriers come
	// and go, holes in the super carrier get reused.
	Burst Shape = "burst"
	// Small: 8 B–4 KiB around 2000 live blocks: many free blocks, deep
	// trees, equal sizes.
	Small Shape = "small"
	// AroundSBCT: sizes from 32 KiB to 2 MiB and reallocs between them:
	// MBC↔SBC moves, SBC resizes in place and by moving.
	AroundSBCT Shape = "sbct"
	// Realloc: 60 % reallocs, 8 B–128 KiB: every in-place and move path.
	Realloc Shape = "realloc"
	// Ties: a handful of exact sizes: equal-size tie-breaks everywhere.
	Ties Shape = "ties"
)

// Shapes lists every shape.
var Shapes = []Shape{Random, Burst, Small, AroundSBCT, Realloc, Ties}

// Generate writes a trace of about ops a/r/f operations of the given shape,
// the same bytes for the same shape, ops and seed.
func Generate(w io.Writer, shape Shape, ops int, seed uint64) error {
	r := rand.New(rand.NewPCG(seed, uint64(len(shape))))
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "alloclab-trace 1\n@ source alloclab differential test: shape %s seed %d\n", shape, seed)
	logUniform := func(lo, hi float64) uint64 {
		return uint64(math.Exp(math.Log(lo) + r.Float64()*(math.Log(hi)-math.Log(lo))))
	}
	var size func() uint64
	target, reallocPct := 400, 20
	switch shape {
	case Small:
		size = func() uint64 { return logUniform(8, 4096) }
		target = 2000
	case AroundSBCT:
		size = func() uint64 { return logUniform(32<<10, 2<<20) }
		target, reallocPct = 60, 40
	case Realloc:
		size = func() uint64 { return logUniform(8, 128<<10) }
		reallocPct = 60
	case Ties:
		sizes := []uint64{24, 56, 100, 1000, 1000, 4000, 20000}
		size = func() uint64 { return sizes[r.IntN(len(sizes))] }
		target = 300
	default:
		size = func() uint64 { return logUniform(8, 2<<20) }
	}
	var live []uint64
	next := uint64(1)
	alloc := func() {
		fmt.Fprintf(bw, "a %d binary_alloc 1 %d\n", next, size())
		live = append(live, next)
		next++
	}
	free := func(i int) {
		fmt.Fprintf(bw, "f %d\n", live[i])
		live[i] = live[len(live)-1]
		live = live[:len(live)-1]
	}
	for n := 0; n < ops; {
		if shape == Burst {
			k := 5 + r.IntN(116)
			for i := 0; i < k; i++ {
				alloc()
			}
			n += k
			for i := 0; i < k*9/10 && len(live) > 0; i++ {
				if r.IntN(10) == 0 {
					fmt.Fprintf(bw, "r %d %d\n", live[r.IntN(len(live))], size())
				}
				free(len(live) - 1 - r.IntN(min(len(live), k)))
				n++
			}
			continue
		}
		switch p := r.IntN(100); {
		case p < reallocPct && len(live) > 0:
			fmt.Fprintf(bw, "r %d %d\n", live[r.IntN(len(live))], size())
		case len(live) < target && r.IntN(2*target) >= len(live) || len(live) == 0:
			alloc()
		default:
			free(r.IntN(len(live)))
		}
		n++
		if n%50 == 0 {
			fmt.Fprintf(bw, "t %d\n", n*1000)
		}
	}
	return bw.Flush()
}
