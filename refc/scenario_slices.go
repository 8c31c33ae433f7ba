package refc

import "math"

// §5.3 and §5.4: slices of large binaries kept long-term.

func slicesScenario() *Scenario {
	return &Scenario{
		Name:  "slices",
		Facts: "§5.3",
		Doc: `A one-off parser process makes COUNT binaries of SIZE bytes (a socket
buffer, a decoded payload), keeps a SLICE-byte field of each and exits. The
fields are stored in an ETS table (store=ets) or sent to a long-lived
keeper that holds them in its state (store=state). A field > 64 bytes is a
sub-binary: stored, it is a ProcBin into the whole parent, which stays
allocated. Facts: 50 × 100 B of 1 MB in ETS → +50,002,000 B; with
binary:copy → +7,184 B; 10-byte fields → +0. In state (count=20): +20,000,800
B, the keeper's bin_vheap_size only 240 words, binary_memory 20,000,000.`,
		Params: []Param{
			{"count", "50", "binaries parsed, one field kept of each"},
			{"size", "1000000", "bytes per parsed binary"},
			{"slice", "100", "bytes of the field kept"},
			{"store", "ets", "where the fields live: ets (a table owned by a long-lived process) or state (a keeper process)"},
		},
		Fixes: []FixDoc{
			{"copy", "binary:copy/1 of the field before storing it: an exact-size binary, the parent freed with the parser"},
		},
		run: runSlices,
	}
}

func runSlices(r *Run) error {
	v, err := r.ints(intSpec{"count", 0, 1000000}, intSpec{"size", 1, 1 << 32}, intSpec{"slice", 0, 1 << 32})
	if err != nil {
		return err
	}
	store, err := r.Choice("store", "ets", "state")
	if err != nil {
		return err
	}
	if v["slice"] > v["size"] {
		return errorf("slices: slice=%d is larger than size=%d", v["slice"], v["size"])
	}
	if v["count"]*(v["size"]+40) > 8<<30 {
		return errorf("slices: count×size over 8 GiB of binaries; lower a parameter")
	}
	node := r.Node
	owner, err := node.Spawn(SpawnOpts{InitialCall: MFA{"leak_lab", "keeper", 1}, Name: "keeper"})
	if err != nil {
		return err
	}
	tab := node.NewTable(owner, "slices")
	parser, err := node.Spawn(SpawnOpts{InitialCall: MFA{"leak_lab", "parser", 2}})
	if err != nil {
		return err
	}
	r.StartWindow()
	var pinned uint64
	for i := range v["count"] {
		b, err := parser.NewBinary(uint64(v["size"]), "leak_lab:parser payload")
		if err != nil {
			return err
		}
		f, err := parser.Slice(b, uint64(v["slice"]))
		if err != nil {
			return err
		}
		if r.Fix("copy") {
			c, err := parser.Copy(f)
			if err != nil {
				return err
			}
			parser.Drop(f)
			f = c
		}
		pinned = referencedByteSize(node, f)
		if store == "ets" {
			err = tab.Insert(parser, uint64(i), f)
		} else {
			err = parser.Send(owner, 3, f)
		}
		if err != nil {
			return err
		}
		parser.Drop(b, f)
	}
	parser.Exit()
	for {
		m, err := owner.Receive()
		if err != nil {
			return err
		}
		if m == nil {
			break
		}
		owner.Keep(m)
	}
	r.Advance(10)
	r.Sample("parsed")
	gi := owner.GCInfo()
	r.Record("holder_bin_vheap_size", gi.BinVheapSize)
	r.Record("holder_binary_memory", owner.BinaryMemory())
	r.Record("ets_memory_bytes", tab.MemoryWords()*wordSize)
	r.Record("referenced_byte_size", pinned)
	return nil
}

// referencedByteSize is binary:referenced_byte_size/1.
func referencedByteSize(n *Node, r *Ref) uint64 {
	if r.Bin == NoBin {
		return r.Size
	}
	return n.bins[r.Bin].Size
}

func logfileScenario() *Scenario {
	return &Scenario{
		Name:  "logfile",
		Facts: "§5.4",
		Doc: `The "150 MB log" story, scaled: file:read_file/1 of a FILE-byte log of LINES
lines (one refc binary, in a single-block carrier; the file server keeps
it as garbage until it collects, facts §8), binary:split/3 into lines in a
temporary process, KEEP percent of the lines inserted into an ETS table
owned by a long-lived process. Kept as slices every line pins the whole
file; binary:copy/1 costs 40 bytes a line. Facts (50 MB, 536,187 lines):
1 % slices +50.0 MB, 1 % copies +0.7 MB, 100 % slices +50.0 MB, 100 %
copies +72.9 MB; ets:info memory 0.58 MB / 57.3 MB.`,
		Params: []Param{
			{"file", "50000000", "bytes in the log file"},
			{"lines", "536187", "lines in it (each (file/lines) bytes with its newline)"},
			{"keep", "1", "percent of the lines kept in ETS (1..100)"},
		},
		Fixes: []FixDoc{
			{"copy", "binary:copy/1 of each kept line before inserting it"},
		},
		run: runLogfile,
	}
}

func runLogfile(r *Run) error {
	v, err := r.ints(intSpec{"file", 1, 1 << 34}, intSpec{"lines", 1, 1 << 26}, intSpec{"keep", 0, 100})
	if err != nil {
		return err
	}
	if v["lines"] > v["file"] {
		return errorf("logfile: lines=%d is more than file=%d bytes", v["lines"], v["file"])
	}
	node := r.Node
	fs, err := node.Spawn(SpawnOpts{Name: "file_server_2", InitialCall: MFA{"proc_lib", "init_p", 5}, Function: MFA{"gen_server", "loop", 7}})
	if err != nil {
		return err
	}
	caller, err := node.Spawn(SpawnOpts{InitialCall: MFA{"leak_lab", "logfile", 1}})
	if err != nil {
		return err
	}
	tab := node.NewTable(caller, "log_lines")
	parser, err := node.Spawn(SpawnOpts{InitialCall: MFA{"erlang", "apply", 2}, Sched: caller.Sched})
	if err != nil {
		return err
	}
	r.StartWindow()
	// file:read_file/1: the file server reads, replies, and keeps its
	// reference as garbage.
	fb, err := fs.ReadFile(uint64(v["file"]))
	if err != nil {
		return err
	}
	if err := fs.Send(parser, 3, fb); err != nil {
		return err
	}
	fs.Drop(fb)
	m, err := parser.Receive()
	if err != nil {
		return err
	}
	file := m.Refs[0]
	r.Advance(200)
	r.Sample("read_file")
	lines := v["lines"]
	lineLen := uint64(v["file"]/lines) - 1 // without the newline
	// binary:split(Bin, <<"\n">>, [global]): a list cell (2 words) and a
	// sub-binary (5 words) per line, live while the list is.
	if err := parser.Hold(uint64(lines) * (2 + subBinWords)); err != nil {
		return err
	}
	keep := int64(math.Round(float64(lines) * float64(v["keep"]) / 100))
	picked := r.rng.Perm(int(lines))[:keep]
	for _, i := range picked {
		f, err := parser.Slice(file, lineLen)
		if err != nil {
			return err
		}
		if r.Fix("copy") {
			c, err := parser.Copy(f)
			if err != nil {
				return err
			}
			parser.Drop(f)
			f = c
		}
		if err := tab.Insert(parser, uint64(i), f); err != nil {
			return err
		}
		parser.Drop(f)
	}
	parser.Exit()
	r.Advance(800)
	r.Sample("parsed")
	r.Record("kept_rows", uint64(tab.Rows()))
	r.Record("ets_memory_bytes", tab.MemoryWords()*wordSize)
	r.Record("file_binary_bytes", uint64(v["file"]))
	return nil
}
