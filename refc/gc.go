package refc

import (
	"alloclab/allocator"
	"alloclab/carriers"
)

// The collector, at the level of detail leaks depend on (facts §3.3,
// §3.4).
//
// What a collection does here:
//
//  1. Messages of an on-heap queue still waiting in heap fragments are
//     merged into the heap: they are live, and their ProcBins join the
//     off-heap list — which is why a process with a backlog can list more
//     binaries after a collection than before (facts §8). An off-heap
//     queue is left alone.
//  2. A minor collection covers the young generation: an unreachable
//     young ProcBin drops its reference (the Binary is freed when that was
//     the last, by this process's scheduler); a reachable one that already
//     survived a collection is promoted to the old generation, whose
//     references only a fullsweep releases. A fullsweep covers both.
//  3. A fullsweep happens when asked for (erlang:garbage_collect/0,1,
//     hibernate, bin_leak), after fullsweep_after minor collections, or
//     when the old vheap is at its limit ("a minor GC is only allowed when
//     bin_old_vheap_sz > bin_old_vheap", facts §3.3).
//  4. Sizes: after a minor collection the young heap keeps its size unless
//     the survivors and the words wanted fill more than three quarters of
//     it, then it grows to the table size holding 4/3 of them. A
//     fullsweep's new heap is sized for everything it might have to keep:
//     next_heap_size(words in use before + old heap), at least
//     min_heap_size, and it is shrunk (to the table size of twice the live
//     words) only when above 3,000 words with live data under a quarter of
//     it (erl_gc.c major_collection and adjust_after_fullsweep; the model's
//     reading of them). Both vheap limits are then resized by
//     nextVheapSize from their survivors.
//
// Not modelled: heap words promoted to the old heap (only ProcBins are
// generational here; the old heap block exists from the first promotion
// and is sized like the young heap), the old heap filling up as a
// fullsweep trigger, and the stack as anything but two words.

// GarbageCollect is erlang:garbage_collect(P): a fullsweep (facts §3.4).
func (p *Process) GarbageCollect() error {
	if err := p.checkAlive("garbage_collect"); err != nil {
		return err
	}
	return p.gc(true, 0)
}

// Hibernate is erlang:hibernate/3: with a message already queued it
// returns to the receive at once without collecting (facts §8); otherwise
// a fullsweep, the heap compacted to the live words and the stack
// discarded (facts §3.4). It reports whether the process hibernated.
func (p *Process) Hibernate() (bool, error) {
	if err := p.checkAlive("hibernate"); err != nil {
		return false, err
	}
	if len(p.queue) > 0 {
		return false, nil
	}
	if err := p.gc(true, 0); err != nil {
		return false, err
	}
	p.live -= p.stack
	p.stack = 0
	p.used = p.live
	if err := p.resizeHeap(max(p.live, 1)); err != nil {
		return false, err
	}
	p.hibernated = true
	// On waking up the loop's frame is rebuilt.
	p.stack = stackWords
	p.live += p.stack
	p.used += p.stack
	return true, nil
}

// gc collects p; full asks for a fullsweep, need is the words the caller
// wants right after.
func (p *Process) gc(full bool, need uint64) error {
	n := p.node
	if !p.offHeapQ {
		for _, m := range p.queue {
			if !m.inHeap {
				p.place(m)
			}
		}
	}
	usedBefore := p.used
	major := full || p.minorGCs >= p.fullsweepAfter || p.oldVheap >= p.oldVheapSz
	keep := p.offheap[:0]
	var young uint64
	for _, r := range p.offheap {
		switch {
		case r.old && !major:
			keep = append(keep, r)
		case !r.reachable():
			r.listed = false
			n.decr(r.Bin, p.Sched)
		case major:
			r.old, r.aged = false, true
			young += vheapWords(r.Size)
			keep = append(keep, r)
		case r.aged:
			r.old = true
			p.oldVheap += vheapWords(r.Size)
			keep = append(keep, r)
		default:
			r.aged = true
			young += vheapWords(r.Size)
			keep = append(keep, r)
		}
	}
	clear(p.offheap[len(keep):])
	p.offheap = keep
	p.vheap = young
	p.used = p.live
	p.GCs++
	if major {
		p.Majors++
		p.minorGCs = 0
		p.oldVheap = 0
		p.freeHeap(&p.oldBlk)
		p.oldSz = 0
		sz := max(n.cfg.HMS, NextHeapSize(usedBefore+need))
		if sz > shrinkThreshold && 4*(p.live+need) < sz {
			sz = max(n.cfg.HMS, NextHeapSize(2*(p.live+need)))
		}
		if err := p.resizeHeap(sz); err != nil {
			return err
		}
		p.vheapSz = nextVheapSize(p.vheap, p.vheapSz, p.minBV)
		p.oldVheapSz = nextVheapSize(p.vheap, p.oldVheapSz, p.minBV)
		return nil
	}
	p.minorGCs++
	if w := p.live + need; 4*w > 3*p.heapSz {
		if err := p.resizeHeap(NextHeapSize(w * 4 / 3)); err != nil {
			return err
		}
	}
	if p.oldVheap > 0 && p.oldBlk == carriers.Nil {
		b, err := n.Sys.Alloc(allocator.EHeap, p.Sched, p.heapSz*wordSize, uint64(p.Pid))
		if err != nil || b == carriers.Nil {
			return errorf("eheap_alloc cannot allocate an old heap of %d words", p.heapSz)
		}
		p.oldBlk, p.oldSz = b, p.heapSz
	}
	p.vheapSz = nextVheapSize(p.vheap, p.vheapSz, p.minBV)
	p.oldVheapSz = nextVheapSize(p.oldVheap, p.oldVheapSz, p.minBV)
	return nil
}

// resizeHeap gives the young heap words words in eheap_alloc.
func (p *Process) resizeHeap(words uint64) error {
	if words == p.heapSz && p.heapBlk != carriers.Nil {
		return nil
	}
	b, err := p.node.Sys.Realloc(p.heapBlk, words*wordSize, p.Sched)
	if err != nil {
		return err
	}
	if b == carriers.Nil {
		return errorf("eheap_alloc cannot resize a heap to %d words", words)
	}
	p.heapBlk, p.heapSz = b, words
	return nil
}
