package reports

// recon's results as text: the Erlang term recon_alloc returns, printed
// as the shell and io:format("~p") print it (so an operator can diff it
// against a live node's answer), and JSON for notebooks.
//
// JSON shapes (numbers as Erlang writes them, which JSON reads; a float
// stays a float, e.g. 1.0):
//
//	memory(used|allocated|unused|usage)  123  or  0.6157...
//	allocated_types        [{"allocator":"binary_alloc","bytes":14876672}, ...]
//	allocated_instances    [{"instance":0,"bytes":10158080}, ...]
//	fragmentation          [{"allocator":..,"instance":..,"sbcs_usage":..,"mbcs_usage":..,
//	                         "sbcs_block_size":..,"sbcs_carriers_size":..,
//	                         "mbcs_block_size":..,"mbcs_carriers_size":..}, ...]
//	average_block_sizes    [{"allocator":..,"mbcs":..,"sbcs":..}, ...]
//	sbcs_to_mbcs           [{"allocator":..,"instance":..,"ratio":0.5 | "infinity"}, ...]
//	cache_hit_rates        [{"instance":..,"hit_rate":..,"hits":..,"calls":..}, ...]

import (
	"encoding/json"
)

// ReconResult is any result of the Recon methods.
type ReconResult interface {
	// Term is the result as the Erlang term recon_alloc returns.
	Term() Term
}

// FormatErlang prints a result as the Erlang shell shows recon's answer
// (io_lib_pretty at column 1, 80 columns), without a trailing newline.
func FormatErlang(r ReconResult) string { return PrettyTerm(r.Term(), 1) }

// FormatJSON returns a result as indented JSON.
func FormatJSON(r ReconResult) ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// Term is [{Allocator, Bytes}].
func (a AllocatedTypes) Term() Term {
	out := make([]Term, len(a))
	for i, e := range a {
		out[i] = Tup(Atom(e.Allocator), e.Bytes.Term())
	}
	return List{Elems: out}
}

// MarshalJSON writes [{"allocator","bytes"}].
func (a AllocatedTypes) MarshalJSON() ([]byte, error) {
	type j struct {
		Allocator string `json:"allocator"`
		Bytes     Num    `json:"bytes"`
	}
	out := make([]j, len(a))
	for i, e := range a {
		out[i] = j(e)
	}
	return json.Marshal(out)
}

// Term is [{InstanceNo, Bytes}].
func (a AllocatedInstances) Term() Term {
	out := make([]Term, len(a))
	for i, e := range a {
		out[i] = Tup(IntFrom(e.Instance), e.Bytes.Term())
	}
	return List{Elems: out}
}

// MarshalJSON writes [{"instance","bytes"}].
func (a AllocatedInstances) MarshalJSON() ([]byte, error) {
	type j struct {
		Instance int `json:"instance"`
		Bytes    Num `json:"bytes"`
	}
	out := make([]j, len(a))
	for i, e := range a {
		out[i] = j(e)
	}
	return json.Marshal(out)
}

// Term is [{{Allocator, N}, [{sbcs_usage,F}, ...]}].
func (f Fragmentation) Term() Term {
	out := make([]Term, len(f))
	for i, e := range f {
		out[i] = Tup(instanceKey(e.Allocator, e.Instance), e.props())
	}
	return List{Elems: out}
}

// MarshalJSON writes one object per instance, keys in recon's order.
func (f Fragmentation) MarshalJSON() ([]byte, error) {
	type j struct {
		Allocator        string `json:"allocator"`
		Instance         int    `json:"instance"`
		SbcsUsage        Num    `json:"sbcs_usage"`
		MbcsUsage        Num    `json:"mbcs_usage"`
		SbcsBlockSize    Num    `json:"sbcs_block_size"`
		SbcsCarriersSize Num    `json:"sbcs_carriers_size"`
		MbcsBlockSize    Num    `json:"mbcs_block_size"`
		MbcsCarriersSize Num    `json:"mbcs_carriers_size"`
	}
	out := make([]j, len(f))
	for i, e := range f {
		out[i] = j{e.Allocator, e.Instance, e.SbcsUsage, e.MbcsUsage, e.SbcsBlockSize,
			e.SbcsCarriersSize, e.MbcsBlockSize, e.MbcsCarriersSize}
	}
	return json.Marshal(out)
}

// Term is [{Allocator, [{mbcs, Avg}, {sbcs, Avg}]}].
func (a AverageBlockSizes) Term() Term {
	out := make([]Term, len(a))
	for i, e := range a {
		out[i] = Tup(Atom(e.Allocator), Lst(Tup(Atom("mbcs"), e.MBCS.Term()), Tup(Atom("sbcs"), e.SBCS.Term())))
	}
	return List{Elems: out}
}

// MarshalJSON writes [{"allocator","mbcs","sbcs"}].
func (a AverageBlockSizes) MarshalJSON() ([]byte, error) {
	type j struct {
		Allocator string `json:"allocator"`
		MBCS      Num    `json:"mbcs"`
		SBCS      Num    `json:"sbcs"`
	}
	out := make([]j, len(a))
	for i, e := range a {
		out[i] = j(e)
	}
	return json.Marshal(out)
}

// Term is [{{Allocator, N}, Ratio}].
func (s SbcsToMbcs) Term() Term {
	out := make([]Term, len(s))
	for i, e := range s {
		out[i] = Tup(instanceKey(e.Allocator, e.Instance), e.RatioTerm())
	}
	return List{Elems: out}
}

// MarshalJSON writes [{"allocator","instance","ratio"}], the ratio
// "infinity" where recon answers the atom.
func (s SbcsToMbcs) MarshalJSON() ([]byte, error) {
	type j struct {
		Allocator string `json:"allocator"`
		Instance  int    `json:"instance"`
		Ratio     any    `json:"ratio"`
	}
	out := make([]j, len(s))
	for i, e := range s {
		var ratio any = e.Ratio
		if e.Infinity {
			ratio = "infinity"
		}
		out[i] = j{e.Allocator, e.Instance, ratio}
	}
	return json.Marshal(out)
}

// Term is [{{instance, N}, [{hit_rate,F},{hits,H},{calls,C}]}].
func (c CacheHitRates) Term() Term {
	out := make([]Term, len(c))
	for i, e := range c {
		out[i] = Tup(Tup(Atom("instance"), IntFrom(e.Instance)), e.props())
	}
	return List{Elems: out}
}

// MarshalJSON writes [{"instance","hit_rate","hits","calls"}].
func (c CacheHitRates) MarshalJSON() ([]byte, error) {
	type j struct {
		Instance int `json:"instance"`
		HitRate  Num `json:"hit_rate"`
		Hits     Num `json:"hits"`
		Calls    Num `json:"calls"`
	}
	out := make([]j, len(c))
	for i, e := range c {
		out[i] = j{e.Instance, e.HitRate, e.Hits, e.Calls}
	}
	return json.Marshal(out)
}
