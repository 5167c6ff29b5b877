package mutant_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/mutant"
)

func TestCatalogue_NamesAreUniqueAndLookUp(t *testing.T) {
	all := mutant.All()
	require.GreaterOrEqual(t, len(all), 12, "at least 12 mutants")
	seen := map[string]bool{}
	for _, m := range all {
		assert.False(t, seen[m.Name()], "name %q twice", m.Name())
		seen[m.Name()] = true
		assert.NotEmpty(t, m.Description(), m.Name())
		got, err := mutant.Lookup(m.Name())
		require.NoError(t, err)
		assert.Equal(t, m, got)
	}
}

func TestCatalogue_CoversEveryLayer(t *testing.T) {
	layers := map[mutant.Layer]int{}
	for _, m := range mutant.All() {
		layers[m.Layer()]++
	}
	for _, l := range []mutant.Layer{mutant.LayerMerge, mutant.LayerProtocol, mutant.LayerDurability,
		mutant.LayerLifecycle, mutant.LayerReset, mutant.LayerSession} {
		assert.Positive(t, layers[l], "layer %s", l)
	}
}

func TestParse_UnknownNameIsAnErrorNamingIt(t *testing.T) {
	_, err := mutant.Parse([]string{"erase-loses-to-create", "no-such-bug"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"no-such-bug"`)
	_, err = mutant.Lookup("")
	require.Error(t, err)
}

func TestSet_HasExactlyWhatWasSwitchedOn(t *testing.T) {
	var none mutant.Set
	for _, m := range mutant.All() {
		assert.False(t, none.Has(m), "the zero set has %s", m)
		s, err := mutant.Parse([]string{m.Name()})
		require.NoError(t, err)
		assert.Equal(t, mutant.Of(m), s)
		for _, o := range mutant.All() {
			assert.Equal(t, o == m, s.Has(o), "%s in the set of %s", o, m)
		}
		assert.Equal(t, m.Name(), s.String())
	}
	s := mutant.Of(mutant.DiscardUnreported, mutant.EraseLosesToCreate)
	assert.Equal(t, []mutant.Mutant{mutant.EraseLosesToCreate, mutant.DiscardUnreported}, s.Mutants())
	assert.Equal(t, "erase-loses-to-create,discard-unreported", s.String())
	assert.Empty(t, none.String())
	assert.False(t, s.Has(mutant.Mutant(0)))
	assert.False(t, s.Has(mutant.Mutant(200)))
}
