// Package rng is the simulation's only source of randomness: a small,
// fast, seeded generator (xoshiro256**) that splits into named streams.
//
// A world holds one root Stream made from its seed; every consumer forks
// its own stream by name ("network", "disk", "client/3", ...). A stream's
// output depends only on the root seed and the path of names that made it,
// so adding a consumer never changes what another one draws.
package rng

import (
	"math"
	"math/bits"
	"time"
)

// Stream is a deterministic pseudo-random generator. It is not safe for
// concurrent use.
type Stream struct {
	s    [4]uint64
	key  uint64 // identifies the stream; forks derive from it, not from state
	name string
}

// New returns the root stream for seed.
func New(seed uint64) *Stream { return fromKey(splitmix(seed^0x5eed5eed5eed5eed), "") }

func fromKey(key uint64, name string) *Stream {
	st := &Stream{key: key, name: name}
	x := key
	for i := range st.s {
		x += 0x9e3779b97f4a7c15
		st.s[i] = splitmix(x)
	}
	return st
}

func splitmix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Fork returns the child stream called name. Forking the same name twice
// gives two streams with identical output; forking does not advance s.
func (s *Stream) Fork(name string) *Stream {
	h := uint64(14695981039346656037) // FNV-1a over the name, mixed with the parent key
	for i := 0; i < len(name); i++ {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	full := name
	if s.name != "" {
		full = s.name + "/" + name
	}
	return fromKey(splitmix(s.key^splitmix(h)), full)
}

// Name is the stream's path of fork names.
func (s *Stream) Name() string { return s.name }

// Uint64 returns 64 random bits.
func (s *Stream) Uint64() uint64 {
	r := bits.RotateLeft64(s.s[1]*5, 7) * 9
	t := s.s[1] << 17
	s.s[2] ^= s.s[0]
	s.s[3] ^= s.s[1]
	s.s[1] ^= s.s[2]
	s.s[0] ^= s.s[3]
	s.s[2] ^= t
	s.s[3] = bits.RotateLeft64(s.s[3], 45)
	return r
}

// Uint64N returns a uniform value in [0, n); n must be positive.
func (s *Stream) Uint64N(n uint64) uint64 {
	if n == 0 {
		panic("rng: Uint64N with n == 0")
	}
	// Lemire's multiply-and-reject method: unbiased, usually one draw.
	hi, lo := bits.Mul64(s.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(s.Uint64(), n)
		}
	}
	return hi
}

// IntN returns a uniform int in [0, n); n must be positive.
func (s *Stream) IntN(n int) int { return int(s.Uint64N(uint64(n))) }

// Int64Range returns a uniform value in [lo, hi]; lo <= hi.
func (s *Stream) Int64Range(lo, hi int64) int64 {
	return lo + int64(s.Uint64N(uint64(hi-lo)+1))
}

// Float64 returns a uniform value in [0, 1).
func (s *Stream) Float64() float64 { return float64(s.Uint64()>>11) / (1 << 53) }

// Chance reports true with probability p.
func (s *Stream) Chance(p float64) bool {
	if p <= 0 {
		return false
	}
	return p >= 1 || s.Float64() < p
}

// Between returns a uniform duration in [lo, hi].
func (s *Stream) Between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return time.Duration(s.Int64Range(int64(lo), int64(hi)))
}

// Exp returns an exponentially distributed duration with the given mean.
func (s *Stream) Exp(mean time.Duration) time.Duration {
	if mean <= 0 {
		return 0
	}
	return time.Duration(-math.Log(1-s.Float64()) * float64(mean))
}

// Shuffle permutes n elements through swap.
func (s *Stream) Shuffle(n int, swap func(i, j int)) {
	for i := n - 1; i > 0; i-- {
		swap(i, s.IntN(i+1))
	}
}
