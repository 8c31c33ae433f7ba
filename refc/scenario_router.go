package refc

// §5.2: the router / proxy middleman.

func routerScenario() *Scenario {
	return &Scenario{
		Name:  "router",
		Facts: "§5.2",
		Doc: `PRODUCERS processes send N binaries of SIZE bytes each to a registered
router, which forwards every one (to the next sink, or with broadcast=1 to
all of them) and does almost no work of its own: it holds a reference to
every binary that passed through until it collects, and so do the sinks.
Facts default (1 producer, 1 consumer, 2,000 × 10 KB): router 22 references,
consumer 35; bin_leak(2) → -35 / -22. Burst variant (facts): producers=4
sinks=4 broadcast=1 n=5000: every sink lists the same binaries, so summed
binary_memory overstates the real memory four-fold.`,
		Params: []Param{
			{"n", "2000", "binaries each producer sends"},
			{"size", "10000", "bytes per binary"},
			{"producers", "1", "producer processes"},
			{"sinks", "1", "consumer processes"},
			{"broadcast", "0", "1: the router sends every binary to every sink; 0: round robin"},
			{"batch", "1", "messages the producers send before the router runs (a router falling behind has a queue: hibernate is then skipped, facts §8)"},
			{"every", "100", "period in messages of the router's hibernate / gc fixes"},
			{"router_words", "1", "heap words the router's loop allocates per message besides the {msg, B} message (9 words); with 1 its heap fills every 23 messages and it ends holding 22 references, as measured (the model's calibration)"},
			{"sink_words", "0", "heap words a sink allocates per message besides the message"},
			{"spawn_words", "0", "heap words the router starts with as garbage"},
			{"sink_spawn_words", "204", "heap words a sink starts with as garbage: they put its first collection at its 5th binary, then the vheap (37 binaries of 10 KB) sets the rhythm and it ends holding 35 references, as measured (the model's calibration of where the collections fall)"},
		},
		Fixes: []FixDoc{
			{"handback", "the router hands the destination pid back and the producer sends the binary itself: the router never touches a binary"},
			{"hibernate", "the router hibernates every `every` messages — skipped while its queue is not empty (facts §8)"},
			{"gc", "the router runs erlang:garbage_collect() every `every` messages"},
			hmbsFix,
		},
		run: runRouter,
	}
}

func runRouter(r *Run) error {
	v, err := r.ints(intSpec{"n", 0, 10000000}, intSpec{"size", 0, 1 << 30}, intSpec{"producers", 1, 1000},
		intSpec{"sinks", 1, 1000}, intSpec{"broadcast", 0, 1}, intSpec{"batch", 1, 1000000}, intSpec{"every", 1, 1 << 30},
		intSpec{"router_words", 0, 10000}, intSpec{"sink_words", 0, 10000}, intSpec{"spawn_words", 0, 200}, intSpec{"sink_spawn_words", 0, 100000})
	if err != nil {
		return err
	}
	if v["n"]*v["producers"]*v["sinks"] > 10_000_000 {
		return errorf("router: n×producers×sinks over 10,000,000 messages; lower a parameter")
	}
	if v["n"]*v["producers"]*(v["size"]+40) > 8<<30 {
		return errorf("router: n×producers×size over 8 GiB of binaries; lower a parameter")
	}
	node := r.Node
	router, err := node.Spawn(SpawnOpts{Name: "router", InitialCall: MFA{"leak_lab", "router", 1}})
	if err != nil {
		return err
	}
	sinks := make([]*Process, v["sinks"])
	for i := range sinks {
		if sinks[i], err = node.Spawn(SpawnOpts{InitialCall: MFA{"leak_lab", "sink", 1}}); err != nil {
			return err
		}
	}
	if err := router.Work(uint64(v["spawn_words"])); err != nil {
		return err
	}
	for _, s := range sinks {
		if err := s.Work(uint64(v["sink_spawn_words"])); err != nil {
			return err
		}
	}
	producers := make([]*Process, v["producers"])
	for i := range producers {
		if producers[i], err = node.Spawn(SpawnOpts{InitialCall: MFA{"erlang", "apply", 2}, Function: MFA{"leak_lab", "producer", 3}}); err != nil {
			return err
		}
	}
	size := uint64(v["size"])
	routed, next := int64(0), 0
	total := v["n"] * v["producers"]
	sample := max(total/20, 1)
	drain := func() error {
		for {
			m, err := router.Receive()
			if err != nil || m == nil {
				return err
			}
			if len(m.Refs) == 0 { // {where, From}: hand the pid back
				if err := router.Send(m.from, 3); err != nil {
					return err
				}
				router.Done(m)
			} else {
				targets := sinks[next : next+1]
				if v["broadcast"] == 1 {
					targets = sinks
				} else {
					next = (next + 1) % len(sinks)
				}
				for _, s := range targets {
					if err := router.Send(s, 0, m.Refs[0]); err != nil {
						return err
					}
				}
				router.Done(m)
			}
			if err := router.Work(uint64(v["router_words"])); err != nil {
				return err
			}
			routed++
			if routed%v["every"] == 0 {
				if r.Fix("gc") {
					if err := router.GarbageCollect(); err != nil {
						return err
					}
				}
				if r.Fix("hibernate") {
					if _, err := router.Hibernate(); err != nil {
						return err
					}
				}
			}
		}
	}
	consume := func() error {
		for _, s := range sinks {
			for {
				m, err := s.Receive()
				if err != nil || m == nil {
					if err != nil {
						return err
					}
					break
				}
				s.Done(m)
				if err := s.Work(uint64(v["sink_words"])); err != nil {
					return err
				}
			}
		}
		return nil
	}
	sent := int64(0)
	for i := range v["n"] {
		if i == v["n"]-v["n"]/10-1 {
			r.StartWindow()
		}
		for _, p := range producers {
			b, err := p.NewBinary(size, "leak_lab:producer binary:copy/2")
			if err != nil {
				return err
			}
			if r.Fix("handback") {
				// {where, self()} → the router answers with a sink pid; the
				// producer sends the binary there itself.
				if err := p.Send(router, 3); err != nil {
					return err
				}
				if err := drain(); err != nil {
					return err
				}
				if m, err := p.Receive(); err != nil {
					return err
				} else if m != nil {
					p.Done(m)
				}
				targets := sinks[next : next+1]
				if v["broadcast"] == 1 {
					targets = sinks
				} else {
					next = (next + 1) % len(sinks)
				}
				for _, s := range targets {
					if err := p.Send(s, 0, b); err != nil {
						return err
					}
				}
			} else if err := p.Send(router, 3, b); err != nil {
				return err
			}
			p.Drop(b)
			sent++
		}
		if sent%v["batch"] == 0 || i == v["n"]-1 {
			if err := drain(); err != nil {
				return err
			}
			if err := consume(); err != nil {
				return err
			}
		}
		if sent%sample == 0 {
			r.Advance(1)
			r.Sample(sampleLabel("sent", sent))
		}
	}
	r.Record("router_refs", uint64(len(router.BinaryList())))
	for i, s := range sinks {
		r.Record(sampleLabel("sink_refs", int64(i+1)), uint64(len(s.BinaryList())))
	}
	gi := router.GCInfo()
	r.Record("router_old_vheap_block_size", gi.BinOldVheapBlockSize)
	r.Record("router_vheap_block_size", gi.BinVheapBlockSize)
	r.Record("sink1_vheap_block_size", sinks[0].GCInfo().BinVheapBlockSize)
	return nil
}
