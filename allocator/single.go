package allocator

import (
	"fmt"

	"alloclab/carriers"
)

// Single is the --single system: every operation, whatever its allocator
// type and scheduler, goes to one thread-safe instance of the runtime's test
// allocator, configured with the generic alloc_util defaults and +MZ flags.
// It is exactly the private allocator the runtime's test hook creates and
// the oracle drives (../shared/oracle/README.md, "The test allocator's
// effective settings"): one instance, no carrier pool, no delayed
// deallocation, mseg instance 0.
type Single struct {
	heap  *carriers.Heap
	space *carriers.Space
	inst  *Instance
}

// NewSingle starts the test allocator with opts, the alloc_util globals and
// the segment layer configuration.
func NewSingle(opts Options, util UtilOptions, sc carriers.SpaceConfig) (*Single, error) {
	sc.MsegInstances = 1
	// A thread-safe instance never gets a carrier pool, and reports so:
	// acul, acful and acnl 0, cp undefined, whatever the flags asked
	// (erts-alloc-facts §2.3 step 7; the oracle's --info shows it).
	opts.ACUL, opts.ACFUL, opts.ACNL, opts.CP = 0, 0, 0, 0
	if err := carriers.CheckConfig(sc); err != nil {
		return nil, &ConfigError{err}
	}
	s := &Single{heap: carriers.NewHeap(), space: carriers.NewSpace(sc)}
	in, ok := NewInstance(Test, 0, 0, opts, util, s.heap, s.space, 0, true)
	if !ok {
		return nil, &ConfigError{fmt.Errorf("cannot create the main carrier (mmbcs %d bytes): no segment source could provide it", opts.MMBCS)}
	}
	s.inst = in
	return s, nil
}

// Heap returns the heap of all blocks and carriers.
func (s *Single) Heap() *carriers.Heap { return s.heap }

// Space returns the segment layer.
func (s *Single) Space() *carriers.Space { return s.space }

// Instance returns the one instance.
func (s *Single) Instance() *Instance { return s.inst }

// Instances returns the instances of the system (one).
func (s *Single) Instances() []*Instance { return []*Instance{s.inst} }

// Alloc allocates size bytes tagged tag; t and sched are ignored.
func (s *Single) Alloc(t Type, sched uint32, size, tag uint64) (int32, error) {
	return s.inst.Alloc(size, tag), nil
}

// Realloc resizes block b.
func (s *Single) Realloc(b int32, size uint64, sched uint32) (int32, error) {
	return s.inst.Realloc(b, size), nil
}

// Free frees block b.
func (s *Single) Free(b int32, sched uint32) error {
	s.inst.Free(b)
	return nil
}

// Routes reports that the single instance ignores schedulers.
func (s *Single) Routes() bool { return false }

// Advance moves the simulated clock. The test allocator has no timers (the
// oracle's replay runs with no aux work), so nothing happens.
func (s *Single) Advance(nanos uint64) {}

// ConfigError is a configuration the runtime would refuse to start with.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }
