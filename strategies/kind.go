package strategies

// Kind names an allocation strategy (+M<S>as), erts-alloc-facts §5.
type Kind uint8

const (
	BF Kind = iota + 1
	AOBF
	AOFF
	AOFFCBF
	AOFFCAOBF
	AGEFFCAOFF
	AGEFFCBF
	AGEFFCAOBF
	GF
	AF
)

var kindNames = [...]string{"", "bf", "aobf", "aoff", "aoffcbf", "aoffcaobf",
	"ageffcaoff", "ageffcbf", "ageffcaobf", "gf", "af"}

// All lists every strategy in a stable order.
var All = []Kind{BF, AOBF, AOFF, AOFFCBF, AOFFCAOBF, AGEFFCAOFF, AGEFFCBF, AGEFFCAOBF, GF, AF}

func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "undefined"
}

// ParseKind parses a strategy name as +M<S>as takes it.
func ParseKind(s string) (Kind, bool) {
	for k := BF; k <= AF; k++ {
		if kindNames[k] == s {
			return k, true
		}
	}
	return 0, false
}

// Migrates reports whether the strategy belongs to the aoff/ageff family,
// the only one that supports carrier migration (§5, §2.1: setting any other
// strategy forces acul and acful to 0).
func (k Kind) Migrates() bool { return k >= AOFF && k <= AGEFFCAOBF }

// MinBlockSize is the smallest block the strategy hands out: its free-block
// bookkeeping plus the footer word, measured through the runtime's test hook
// (§4.2): bf 64, aobf 56, aoff family 64, gf and af 40.
func (k Kind) MinBlockSize() uint64 {
	switch k {
	case AOBF:
		return 56
	case GF, AF:
		return 40
	default:
		return 64
	}
}

// MBCHeaderSize is the offset of the first block in a multiblock carrier:
// the 368-byte Carrier_t, plus 72 bytes for the aoff family's carrier-tree
// node, block-tree root and block order (§4.1).
func (k Kind) MBCHeaderSize() uint64 {
	if k.Migrates() {
		return 440
	}
	return 368
}
