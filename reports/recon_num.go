package reports

// Erlang arithmetic for recon's results.
//
// recon_alloc returns integers where it only adds byte counts and floats
// where it divides (usage, averages, unit conversion), and which one it
// is shows in the printed term: {sbcs_block_size,0} but {sbcs_usage,1.0},
// average 0 for no blocks but 2071.04 otherwise. Num keeps that
// distinction and follows the runtime's rules:
//
//   - integer + integer is an exact integer; any float makes a float
//     (the integer converted to the nearest double first);
//   - "/" always gives a float, and raises badarith when the divisor is
//     0 or 0.0 or the quotient is not finite;
//   - numbers compare by value (0 == 0.0), see CompareTerms.

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
)

// Num is an Erlang number: an integer of any size or a float.
type Num struct {
	i       *big.Int // integer value; nil for 0 or when isFloat
	f       float64
	isFloat bool
}

// IntNum returns the integer n.
func IntNum[T int | int64 | uint64](n T) Num { return Num{i: IntFrom(n).v} }

// FloatNum returns the float f.
func FloatNum(f float64) Num { return Num{f: f, isFloat: true} }

// IsFloat reports whether n is a float.
func (n Num) IsFloat() bool { return n.isFloat }

// Float64 returns n as a float64 (an integer rounded to the nearest).
func (n Num) Float64() float64 {
	if n.isFloat {
		return n.f
	}
	if n.i == nil {
		return 0
	}
	f, _ := new(big.Float).SetInt(n.i).Float64()
	return f
}

// Int returns n's integer value, and false for a float.
func (n Num) Int() (*big.Int, bool) {
	if n.isFloat {
		return nil, false
	}
	if n.i == nil {
		return new(big.Int), true
	}
	return new(big.Int).Set(n.i), true
}

// IsZero reports n == 0 (or 0.0).
func (n Num) IsZero() bool {
	if n.isFloat {
		return n.f == 0
	}
	return n.i == nil || n.i.Sign() == 0
}

// isIntZero reports whether n matches the pattern 0 (an integer).
func (n Num) isIntZero() bool { return !n.isFloat && n.IsZero() }

// isFloatZero reports whether n matches the pattern 0.0.
func (n Num) isFloatZero() bool { return n.isFloat && n.f == 0 }

// Term is n as an Erlang term.
func (n Num) Term() Term {
	if n.isFloat {
		return Float(n.f)
	}
	if n.i == nil {
		return IntFrom(0)
	}
	return Int{new(big.Int).Set(n.i)}
}

func (n Num) String() string { return WriteTerm(n.Term()) }

// MarshalJSON writes n as Erlang writes it, which is valid JSON for every
// finite number (1.0, 0.7176294282834101, 1.0e3, 123).
func (n Num) MarshalJSON() ([]byte, error) {
	if n.isFloat && (math.IsInf(n.f, 0) || math.IsNaN(n.f)) {
		return nil, fmt.Errorf("reports: %v has no JSON form", n.f)
	}
	return []byte(n.String()), nil
}

var _ json.Marshaler = Num{}

func (n Num) big() *big.Int {
	if n.i == nil {
		return new(big.Int)
	}
	return n.i
}

// Add is Erlang's +.
func (n Num) Add(m Num) Num {
	if n.isFloat || m.isFloat {
		return FloatNum(n.Float64() + m.Float64())
	}
	return Num{i: new(big.Int).Add(n.big(), m.big())}
}

// Sub is Erlang's -.
func (n Num) Sub(m Num) Num {
	if n.isFloat || m.isFloat {
		return FloatNum(n.Float64() - m.Float64())
	}
	return Num{i: new(big.Int).Sub(n.big(), m.big())}
}

// Mul is Erlang's *.
func (n Num) Mul(m Num) Num {
	if n.isFloat || m.isFloat {
		return FloatNum(n.Float64() * m.Float64())
	}
	return Num{i: new(big.Int).Mul(n.big(), m.big())}
}

// errBadarith is returned by Div where Erlang's / raises badarith.
var errBadarith = fmt.Errorf("badarith")

// Div is Erlang's /: always a float; badarith for a zero divisor or a
// quotient that is not a finite float.
func (n Num) Div(m Num) (Num, error) {
	if m.IsZero() {
		return Num{}, errBadarith
	}
	q := n.Float64() / m.Float64()
	if math.IsInf(q, 0) || math.IsNaN(q) {
		return Num{}, errBadarith
	}
	return FloatNum(q), nil
}
