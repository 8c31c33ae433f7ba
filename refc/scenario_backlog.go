package refc

// §5.5 and §2.3: a mailbox backlog; §5.6: memory not returned.

func backlogScenario() *Scenario {
	return &Scenario{
		Name:  "backlog",
		Facts: "§5.5",
		Doc: `N binaries of SIZE bytes are sent as {data, B} to a process that is not
receiving (busy or asleep). Unreceived messages are live data: no GC frees
them, and process_info(P, binary) lists only those that were copied onto
its heap (an on-heap queue: the first ones, while they fit; facts §2.3:
20 of 100 listed, 100 after a GC) or none (off_heap). bin_leak then shows
the process GAINING references (a positive number, facts §8).`,
		Params: []Param{
			{"n", "100", "messages sent"},
			{"size", "10000", "bytes per binary"},
			{"queue", "on_heap", "message_queue_data of the receiver: on_heap or off_heap"},
			{"spawn_words", "45", "heap words the receiver holds when the messages arrive (its frame and state); with 45, 20 messages of 9 words fit on its 233-word heap, as measured (the model's calibration)"},
		},
		Fixes: []FixDoc{
			{"drain", "the receiver wakes up and receives every message, dropping the binaries: with an off-heap queue receiving triggers collections, so memory falls while it drains; on-heap it falls at its collections (facts §8)"},
		},
		run: runBacklog,
	}
}

func runBacklog(r *Run) error {
	v, err := r.ints(intSpec{"n", 0, 10000000}, intSpec{"size", 0, 1 << 30}, intSpec{"spawn_words", 0, 100000})
	if err != nil {
		return err
	}
	q, err := r.Choice("queue", "on_heap", "off_heap")
	if err != nil {
		return err
	}
	if v["n"]*(v["size"]+40) > 8<<30 {
		return errorf("backlog: n×size over 8 GiB of binaries; lower a parameter")
	}
	node := r.Node
	slow, err := node.Spawn(SpawnOpts{InitialCall: MFA{"leak_lab", "sleeper", 1}, Function: MFA{"timer", "sleep", 1}, OffHeapQueue: q == "off_heap"})
	if err != nil {
		return err
	}
	if err := slow.Hold(uint64(v["spawn_words"])); err != nil {
		return err
	}
	prod, err := node.Spawn(SpawnOpts{InitialCall: MFA{"erlang", "apply", 2}, Function: MFA{"leak_lab", "producer", 3}})
	if err != nil {
		return err
	}
	r.StartWindow()
	for i := range v["n"] {
		b, err := prod.NewBinary(uint64(v["size"]), "leak_lab:producer binary:copy/2")
		if err != nil {
			return err
		}
		if err := prod.Send(slow, 3, b); err != nil {
			return err
		}
		prod.Drop(b)
		if (i+1)%max(v["n"]/10, 1) == 0 {
			r.Advance(10)
			r.Sample(sampleLabel("sent", i+1))
		}
	}
	r.Record("listed_before_gc", uint64(len(slow.BinaryList())))
	r.Record("message_queue_len", uint64(slow.QueueLen()))
	if r.Fix("drain") {
		for {
			m, err := slow.Receive()
			if err != nil {
				return err
			}
			if m == nil {
				break
			}
			slow.Done(m)
			if node.now/1e6%10 == 0 {
				r.Sample("draining")
			}
			r.Advance(1)
		}
		r.Sample("drained")
	}
	return nil
}

func notReturnedScenario() *Scenario {
	sc := sessionsScenario()
	return &Scenario{
		Name:  "notreturned",
		Facts: "§5.6",
		Doc: `The sessions leak (§5.1), then its cure — bin_leak collects every
process — seen from the allocator: erlang:memory(binary) falls to what is
still live, but binary_alloc's carriers stay as long as one live block
sits in them (here every session's KEEP-byte copy of every KEEP_EVERY-th
binary, interleaved with the leaked ones), and the main carrier never
goes (facts §5.6). Compare the binary_alloc carriers column before and
after bin_leak, and try --set flags="+MBas aobf" or "+MBacul 0".`,
		Params: append(sc.Params,
			Param{"keep", "100", "bytes of the long-lived binary:copy a session keeps"},
			Param{"keep_every", "13", "a session keeps a copy of every keep_every-th binary (0: none)"}),
		Fixes: sc.Fixes,
		run:   runNotReturned,
	}
}

func runNotReturned(r *Run) error {
	v, err := r.ints(intSpec{"keep", 0, 1 << 20}, intSpec{"keep_every", 0, 1 << 20})
	if err != nil {
		return err
	}
	r.keep, r.keepEvery = uint64(v["keep"]), v["keep_every"]
	return runSessions(r)
}
