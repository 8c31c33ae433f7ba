package refc

import "strconv"

// §5.1: many mostly-idle long-lived sessions touching big binaries.

func sessionsScenario() *Scenario {
	return &Scenario{
		Name:  "sessions",
		Facts: "§5.1",
		Doc: `N idle session processes each receive M binaries of SIZE bytes ({data, B} from
one producer, round by round) and keep only a HEADER-byte heap copy in their
state. They allocate almost nothing, so they collect only when the young
heap fills (233 words) or the vheap passes 46,422 words: every binary
received since the last collection stays allocated. Facts default: 500 ×
40 × 20,000 B retains 124.2 MiB, 13 dead references per session,
bin_leak(3) → -13 each, ≈ 0 after it.`,
		Params: []Param{
			{"n", "500", "session processes"},
			{"m", "40", "binaries each session receives"},
			{"size", "20000", "bytes per binary"},
			{"header", "16", "bytes of each binary a session keeps (a heap copy when ≤ 64)"},
			{"spawn_words", "17", "heap words a session's start leaves as garbage (its spawn arguments and initial call); they shift where its first heap-full collection falls — the facts: \"the number depends on where the last heap-triggered GC fell\"; 17 reproduces their 13 references (the model's calibration)"},
			{"fullsweep_after", "65535", "spawn_opt fullsweep_after of the sessions"},
			{"min_bin_vheap", "0", "spawn_opt min_bin_vheap_size of the sessions (clamped up to the system's, facts §3.3: 1000 has no effect)"},
			{"round_ms", "50", "simulated milliseconds per round (40 rounds ≈ 2 s as measured)"},
			{"burst", "0", "1: the producer sends all M rounds before any session runs (their mailboxes fill; the collections fall elsewhere — a real node with the producer unsynchronised, cmd/alloclab/testdata/leak, ends with 4 references per session, the facts' other variant)"},
		},
		Fixes: []FixDoc{
			{"gc", "erlang:garbage_collect() after each message (gen_server-style): 0 references per session"},
			{"hibernate", "erlang:hibernate/3 after each message: 0 references per session"},
			hmbsFix,
			{"worker", "a one-off worker per binary: the producer sends each binary to a fresh process that extracts the header, sends it to the session and exits, dropping its reference at once"},
		},
		run: runSessions,
	}
}

func runSessions(r *Run) error {
	v, err := r.ints(intSpec{"n", 1, 100000}, intSpec{"m", 0, 100000}, intSpec{"size", 0, 1 << 30},
		intSpec{"header", 0, 1 << 30}, intSpec{"spawn_words", 0, 200}, intSpec{"fullsweep_after", 0, 1 << 32},
		intSpec{"min_bin_vheap", 0, 1 << 30}, intSpec{"round_ms", 0, 1 << 20}, intSpec{"burst", 0, 1})
	if err != nil {
		return err
	}
	if v["header"] > v["size"] {
		return errorf("sessions: header=%d is larger than size=%d", v["header"], v["size"])
	}
	if v["n"]*v["m"] > 10_000_000 {
		return errorf("sessions: n×m over 10,000,000 messages; lower a parameter")
	}
	if v["n"]*v["m"]*(v["size"]+40) > 8<<30 {
		return errorf("sessions: n×m×size over 8 GiB of binaries; lower a parameter")
	}
	node := r.Node
	fsa := uint64(v["fullsweep_after"])
	prod, err := node.Spawn(SpawnOpts{InitialCall: MFA{"erlang", "apply", 2}, Function: MFA{"leak_lab", "producer", 3}})
	if err != nil {
		return err
	}
	sessions := make([]*Process, v["n"])
	headers := make([]*Ref, v["n"])
	for i := range sessions {
		s, err := node.Spawn(SpawnOpts{InitialCall: MFA{"leak_lab", "session", 2}, Function: MFA{"leak_lab", "session", 2},
			MinBinVheap: uint64(v["min_bin_vheap"]), FullsweepAfter: &fsa})
		if err != nil {
			return err
		}
		if err := s.Work(uint64(v["spawn_words"])); err != nil {
			return err
		}
		if err := s.SetState(3); err != nil {
			return err
		}
		sessions[i] = s
	}
	order := make([]int, len(sessions))
	for i := range order {
		order[i] = i
	}
	size, header := uint64(v["size"]), uint64(v["header"])
	send := func() error {
		r.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			s := sessions[i]
			b, err := prod.NewBinary(size, "leak_lab:producer binary:copy/2")
			if err != nil {
				return err
			}
			if r.Fix("worker") {
				if err := viaWorker(node, prod, s, b, header); err != nil {
					return err
				}
				continue
			}
			if err := prod.Send(s, 3, b); err != nil {
				return err
			}
			prod.Drop(b)
		}
		return nil
	}
	process := func(round int64) error {
		for _, i := range order {
			s := sessions[i]
			m, err := s.Receive()
			if err != nil || m == nil {
				return err
			}
			h, err := s.Slice(m.Refs[0], header)
			if err != nil {
				return err
			}
			s.Drop(headers[i])
			headers[i] = h
			if r.keepEvery > 0 && (round+1)%r.keepEvery == 0 {
				if _, err := s.NewBinary(r.keep, "a session's long-lived copy"); err != nil {
					return err
				}
				if err := s.SetState(3); err != nil {
					return err
				}
			}
			if err := s.SetState(3); err != nil {
				return err
			}
			s.Done(m)
			if r.Fix("gc") {
				if err := s.GarbageCollect(); err != nil {
					return err
				}
			}
			if r.Fix("hibernate") {
				if _, err := s.Hibernate(); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if v["burst"] == 1 {
		for range v["m"] {
			if err := send(); err != nil {
				return err
			}
		}
		r.Advance(uint64(v["round_ms"]))
		r.Sample("sent")
	}
	for round := range v["m"] {
		if round == v["m"]-1 {
			r.StartWindow()
		}
		if v["burst"] == 0 {
			if err := send(); err != nil {
				return err
			}
		}
		if err := process(round); err != nil {
			return err
		}
		r.Advance(uint64(v["round_ms"]))
		r.Sample(sampleLabel("round", round+1))
	}
	var lo, hi uint64 = 1 << 62, 0
	for _, s := range sessions {
		c := uint64(len(s.BinaryList()))
		lo, hi = min(lo, c), max(hi, c)
	}
	r.Record("session_refs_min", lo)
	r.Record("session_refs_max", hi)
	r.Record("producer_refs", uint64(len(prod.BinaryList())))
	return nil
}

// viaWorker hands binary b from prod to a one-off worker that slices the
// header, sends it (a heap binary) to session s and exits; s receives a
// message with no refc binary in it.
func viaWorker(node *Node, prod, s *Process, b *Ref, header uint64) error {
	w, err := node.Spawn(SpawnOpts{InitialCall: MFA{"leak_lab", "worker", 2}, Sched: prod.Sched})
	if err != nil {
		return err
	}
	if err := prod.Send(w, 3, b); err != nil {
		return err
	}
	prod.Drop(b)
	m, err := w.Receive()
	if err != nil {
		return err
	}
	h, err := w.Slice(m.Refs[0], header)
	if err != nil {
		return err
	}
	if err := w.Send(s, 3, h); err != nil {
		return err
	}
	w.Exit()
	return nil
}

func sampleLabel(what string, i int64) string { return what + " " + strconv.FormatInt(i, 10) }
