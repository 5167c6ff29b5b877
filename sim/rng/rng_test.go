package rng_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/sim/rng"
)

func draw(s *rng.Stream, n int) []uint64 {
	out := make([]uint64, n)
	for i := range out {
		out[i] = s.Uint64()
	}
	return out
}

func TestSameSeed_SameOutput(t *testing.T) {
	assert.Equal(t, draw(rng.New(42), 100), draw(rng.New(42), 100))
	assert.NotEqual(t, draw(rng.New(42), 100), draw(rng.New(43), 100))
}

// TestFork_DoesNotDependOnParentDrawsOrSiblings: a named stream's output is
// a function of the seed and its name path only, so adding a consumer or
// drawing more from another stream changes nothing for it.
func TestFork_DoesNotDependOnParentDrawsOrSiblings(t *testing.T) {
	a := rng.New(7)
	want := draw(a.Fork("network"), 50)

	b := rng.New(7)
	b.Fork("client/1")
	draw(b, 1000)
	draw(b.Fork("disk"), 10)
	assert.Equal(t, want, draw(b.Fork("network"), 50))

	assert.NotEqual(t, want, draw(rng.New(7).Fork("disk"), 50))
	assert.NotEqual(t, want, draw(rng.New(7).Fork("network").Fork("network"), 50))
	assert.Equal(t, "network/x", rng.New(1).Fork("network").Fork("x").Name())
}

// TestKnownOutput pins the generator's output: traces recorded by one build
// must replay on the next, so the sequence for a seed may never change.
func TestKnownOutput(t *testing.T) {
	s := rng.New(1)
	got := draw(s, 3)
	// Pinned values; change them only together with a trace format version bump.
	assert.Equal(t, []uint64{10986214025657894017, 6984100250377447294, 17118267250335318932}, got)
}

func TestUint64N_InRangeAndRoughlyUniform(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.Uint64Range(1, math.MaxUint64).Draw(t, "n")
		s := rng.New(rapid.Uint64().Draw(t, "seed"))
		for i := 0; i < 100; i++ {
			require.Less(t, s.Uint64N(n), n)
		}
	})
	s := rng.New(3)
	var counts [10]int
	for i := 0; i < 100000; i++ {
		counts[s.IntN(10)]++
	}
	for i, c := range counts {
		assert.InDelta(t, 10000, c, 500, "bucket %d", i)
	}
}

func TestChanceAndDistributions(t *testing.T) {
	s := rng.New(9)
	assert.False(t, s.Chance(0))
	assert.True(t, s.Chance(1))
	hits := 0
	for i := 0; i < 100000; i++ {
		if s.Chance(0.25) {
			hits++
		}
	}
	assert.InDelta(t, 25000, hits, 800)

	var sum time.Duration
	for i := 0; i < 100000; i++ {
		d := s.Between(time.Millisecond, 3*time.Millisecond)
		require.GreaterOrEqual(t, d, time.Millisecond)
		require.LessOrEqual(t, d, 3*time.Millisecond)
		sum += s.Exp(10 * time.Millisecond)
	}
	assert.InDelta(t, float64(10*time.Millisecond), float64(sum/100000), float64(300*time.Microsecond))
	assert.Equal(t, time.Duration(0), s.Exp(0))
}

func TestShuffle_IsAPermutation(t *testing.T) {
	s := rng.New(5)
	xs := []int{0, 1, 2, 3, 4, 5, 6, 7}
	s.Shuffle(len(xs), func(i, j int) { xs[i], xs[j] = xs[j], xs[i] })
	assert.ElementsMatch(t, []int{0, 1, 2, 3, 4, 5, 6, 7}, xs)
}
