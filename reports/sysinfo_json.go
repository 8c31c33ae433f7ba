package reports

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// WriteSystemInfoJSON writes the statistics of a node as JSON with the
// structure of system_info({allocator, A}), allocator by allocator in the
// runtime's order:
//
//	{"binary_alloc": [{"instance": 0,
//	                   "versions": ["0.9", "3.0"],
//	                   "options": {"e": true, ..., "cp": "undefined", "as": "aoffcbf"},
//	                   "fix_types": {"size_48": [pool_bytes, used_bytes], ...},   (fix_alloc without a pool)
//	                   "mbcs": {"blocks": {"binary_alloc": {"count": [cur, max, max_ever],
//	                                                        "size": [cur, max, max_ever]}},
//	                            "carriers": [cur, max, max_ever], "mseg_alloc_carriers": n,
//	                            "sys_alloc_carriers": n, "carriers_size": [cur, max, max_ever],
//	                            "mseg_alloc_carriers_size": bytes, "sys_alloc_carriers_size": bytes},
//	                   "mbcs_pool": {"blocks": {...}, "carriers": n, "carriers_size": bytes,
//	                                 "entrance_removed": n, ..., "fail_pooled": n},   (instances with a pool)
//	                   "sbcs": {...},
//	                   "calls": {"binary_alloc": n, "binary_free": n, ...}}, ...], ...}
//
// Proplists become objects (keys in the runtime's order), {Key, Cur, Max,
// MaxEver} tuples arrays, fix types ({Type, PoolBytes, UsedBytes}) arrays
// [PoolBytes, UsedBytes], call counters ({Name, Giga, Ones}) plain numbers.
func WriteSystemInfoJSON(insts []AllocInstance) []byte {
	var b bytes.Buffer
	b.WriteString("{")
	for i := 0; i < len(insts); {
		j := i
		for j < len(insts) && insts[j].Allocator == insts[i].Allocator {
			j++
		}
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("\n  " + strconv.Quote(insts[i].Allocator) + ": [")
		for k := i; k < j; k++ {
			if k > i {
				b.WriteString(",")
			}
			writeInstanceJSON(&b, &insts[k])
		}
		b.WriteString("\n  ]")
		i = j
	}
	b.WriteString("\n}\n")
	return b.Bytes()
}

func jsonTriple(t Triple) string {
	return "[" + strconv.FormatUint(t.Cur, 10) + ", " + strconv.FormatUint(t.Max, 10) + ", " + strconv.FormatUint(t.MaxEver, 10) + "]"
}

func jsonValue(t Term) string {
	switch v := t.(type) {
	case Atom:
		switch v {
		case "true", "false":
			return string(v)
		}
		return strconv.Quote(string(v))
	case Int:
		return v.String()
	case String:
		return strconv.Quote(string(v))
	}
	out, _ := json.Marshal(WriteTerm(t))
	return string(out)
}

func writeInstanceJSON(b *bytes.Buffer, ai *AllocInstance) {
	b.WriteString("\n    {\"instance\": " + strconv.Itoa(ai.Instance))
	b.WriteString(", \"versions\": [" + strconv.Quote(ai.Version) + ", \"3.0\"]")
	if ai.Options != nil {
		b.WriteString(",\n     \"options\": {")
		for i, p := range ai.Options {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(p.Key) + ": " + jsonValue(p.Value))
		}
		b.WriteString("}")
	}
	if ai.FixTypes != nil {
		b.WriteString(",\n     \"fix_types\": {")
		for i, f := range ai.FixTypes {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(f.Type) + ": [" + strconv.FormatUint(f.Pool, 10) + ", " + strconv.FormatUint(f.Used, 10) + "]")
		}
		b.WriteString("}")
	}
	for _, k := range []struct {
		name string
		cs   *CarrierStats
	}{{"mbcs", ai.MBCS}, {"mbcs_pool", nil}, {"sbcs", ai.SBCS}} {
		cs := k.cs
		if cs == nil {
			if p := ai.Pool; p != nil {
				b.WriteString(",\n     \"mbcs_pool\": {\"blocks\": {")
				for i, bl := range p.Blocks {
					if i > 0 {
						b.WriteString(", ")
					}
					b.WriteString(strconv.Quote(bl.Type) + ": {\"count\": " + strconv.FormatUint(bl.Count, 10) + ", \"size\": " + strconv.FormatUint(bl.Size, 10) + "}")
				}
				b.WriteString("}, \"carriers\": " + strconv.FormatUint(p.Carriers, 10) + ", \"carriers_size\": " + strconv.FormatUint(p.CarriersSize, 10))
				for _, c := range p.Counters {
					b.WriteString(", " + strconv.Quote(c.Name) + ": " + strconv.FormatUint(c.Value(), 10))
				}
				b.WriteString("}")
			}
			continue
		}
		b.WriteString(",\n     \"" + k.name + "\": {\"blocks\": {")
		for i, bl := range cs.Blocks {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.Quote(bl.Type) + ": {\"count\": " + jsonTriple(bl.Count) + ", \"size\": " + jsonTriple(bl.Size) + "}")
		}
		b.WriteString("}, \"carriers\": " + jsonTriple(cs.Carriers))
		b.WriteString(", \"mseg_alloc_carriers\": " + strconv.FormatUint(cs.MsegCarriers, 10))
		b.WriteString(", \"sys_alloc_carriers\": " + strconv.FormatUint(cs.SysCarriers, 10))
		b.WriteString(", \"carriers_size\": " + jsonTriple(cs.CarriersSize))
		b.WriteString(", \"mseg_alloc_carriers_size\": " + strconv.FormatUint(cs.MsegCarriersSize, 10))
		b.WriteString(", \"sys_alloc_carriers_size\": " + strconv.FormatUint(cs.SysCarriersSize, 10) + "}")
	}
	b.WriteString(",\n     \"calls\": {")
	for i, c := range ai.Calls {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(c.Name) + ": " + strconv.FormatUint(c.Value(), 10))
	}
	b.WriteString("}}")
}

// WriteSystemInfoErlang writes, allocator by allocator, what
// erlang:system_info({allocator, A}) returns, pretty-printed as erl's ~p
// would, each as a term ending with a full stop and headed by a comment.
func WriteSystemInfoErlang(insts []AllocInstance) []byte {
	var b bytes.Buffer
	for i := 0; i < len(insts); {
		j := i
		for j < len(insts) && insts[j].Allocator == insts[i].Allocator {
			j++
		}
		b.WriteString("%% erlang:system_info({allocator, " + insts[i].Allocator + "})\n")
		b.WriteString(PrettyTerm(AllocatorTerm(insts[i:j]), 1))
		b.WriteString(".\n")
		i = j
	}
	return b.Bytes()
}
