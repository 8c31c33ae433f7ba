package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// poolShuffleTrace writes a trace that keeps carriers moving through the
// pool between schedulers s1 and s2 of a node with max(s1, s2)
// schedulers: rounds alternate the scheduler that
// allocates (a burst of blocks of the given types, 31 B to 20 KB,
// log-uniform), then most live blocks are freed — mostly by the scheduler
// that allocated them, some by the other one — with a few reallocs, so
// carriers fall below acul, are abandoned, and the next round's bursts
// fetch them (own and foreign, and other types' with a shared cp).
func poolShuffleTrace(seed uint64, rounds int, types []string, s1, s2 int) string {
	r := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	fmt.Fprintf(&b, "alloclab-trace 1\n@ schedulers %d\n", max(s1, s2))
	type blk struct {
		id    uint64
		sched int
	}
	var live []blk
	next := uint64(1)
	size := func() int { return int(math.Exp(math.Log(31) + r.Float64()*(math.Log(20000)-math.Log(31)))) }
	for round := 0; round < rounds; round++ {
		hot := s1
		if round%2 == 1 {
			hot = s2
		}
		for range 1000 + r.IntN(2000) {
			fmt.Fprintf(&b, "a %d %s %d %d\n", next, types[r.IntN(len(types))], hot, size())
			live = append(live, blk{next, hot})
			next++
		}
		r.Shuffle(len(live), func(i, j int) { live[i], live[j] = live[j], live[i] })
		keep := len(live) * (5 + r.IntN(15)) / 100
		for _, x := range live[keep:] {
			by := x.sched
			if r.IntN(10) < 3 {
				by = s1 + s2 - by
			}
			if r.IntN(20) == 0 {
				fmt.Fprintf(&b, "r %d %d %d\n", x.id, size(), by)
			}
			fmt.Fprintf(&b, "f %d %d\n", x.id, by)
		}
		live = live[:keep]
	}
	return b.String()
}
