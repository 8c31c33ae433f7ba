package reports

// mseg_alloc as erlang:system_info({allocator, mseg_alloc}) shows it
// (erts-alloc-facts §3.6, §8.1): one entry per mseg instance — instance 0
// the global one, 1..N the schedulers' — each
//
//	{instance, N, [{version, "0.9"},
//	               {options, [{amcbf, B}, {rmcbf, P}, {mcs, S}]},
//	               {memkind, [{name, "all memory"},
//	                          {status, [{cached_segments, N}, {cache_hits, N},
//	                                    {segments, C, M, ME}, {segments_watermark, N},
//	                                    {segments_size, C, M, ME}]},
//	                          {calls, [{mseg_alloc, G, N}, ...]}]}]}
//
// The calls are in the order OTP 25.2.3 prints them (checked against a real
// node, mseg_info_test.go): mseg_alloc, mseg_dealloc, mseg_realloc,
// mseg_create_resize, mseg_create, mseg_destroy, mseg_recreate,
// mseg_clear_cache, mseg_check_cache — create_resize comes before create,
// unlike the list in §3.6.

import "alloclab/carriers"

// msegVersion is erl_mseg.c's ERTS_MSEG_VSN_STR.
const msegVersion = "0.9"

// MsegInstances returns every mseg_alloc instance of space in instance
// order, with AllocInstance.Mseg, Options and Version filled. Like the
// runtime's info call it folds the "max since last call" values into
// max_ever, and with reset it starts a new max period (segments and
// segments_size max := current).
func MsegInstances(space *carriers.Space, reset bool) []AllocInstance {
	out := make([]AllocInstance, 0, space.MsegInstances())
	for i := range space.MsegInstances() {
		mi := space.Mseg(i).Info(reset)
		c := &mi.Calls
		out = append(out, AllocInstance{
			Allocator: "mseg_alloc",
			Instance:  mi.Instance,
			Version:   msegVersion,
			Options: []Prop{
				{"amcbf", IntFrom(mi.AMCBF)},
				{"rmcbf", IntFrom(mi.RMCBF)},
				{"mcs", IntFrom(mi.MCS)},
			},
			Mseg: &MsegInfo{
				Name:              "all memory",
				CachedSegments:    mi.CachedSegments,
				CacheHits:         mi.CacheHits,
				Segments:          Triple(mi.Segments),
				SegmentsWatermark: mi.SegmentsWatermark,
				SegmentsSize:      Triple(mi.SegmentsSize),
				Calls: []CallCount{
					CallCountOf("mseg_alloc", c.Alloc),
					CallCountOf("mseg_dealloc", c.Dealloc),
					CallCountOf("mseg_realloc", c.Realloc),
					CallCountOf("mseg_create_resize", c.CreateResize),
					CallCountOf("mseg_create", c.Create),
					CallCountOf("mseg_destroy", c.Destroy),
					CallCountOf("mseg_recreate", c.Recreate),
					CallCountOf("mseg_clear_cache", c.ClearCache),
					CallCountOf("mseg_check_cache", c.CheckCache),
				},
			},
		})
	}
	return out
}

// MsegTerm is erlang:system_info({allocator, mseg_alloc}) for the given
// instances: [{instance, N, [{version, V}, {options, [...]},
// {memkind, [...]}]}]. An instance without Mseg (not an mseg_alloc entry)
// is left out.
func MsegTerm(insts []AllocInstance) Term {
	out := []Term{}
	for i := range insts {
		ai := &insts[i]
		if ai.Mseg == nil {
			continue
		}
		props := []Term{Tup(Atom("version"), String(ai.Version))}
		if ai.Options != nil {
			props = append(props, Tup(Atom("options"), propList(ai.Options)))
		}
		props = append(props, Tup(Atom("memkind"), ai.Mseg.term()))
		out = append(out, Tup(Atom("instance"), IntFrom(ai.Instance), Lst(props...)))
	}
	return Lst(out...)
}
