package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
)

// BenchmarkApply_100kObjects applies a 20-instruction changeset to a state
// of 100,000 objects: its cost must not depend on the state's size.
func BenchmarkApply_100kObjects(b *testing.B) {
	s := fixture(b)
	var in []changeset.Instruction
	for i := int64(3); i < 100_000; i++ {
		in = append(in, create(i))
	}
	require.NoError(b, s.Apply(cset(in...)))

	in = in[:0]
	for k := int64(0); k < 9; k++ {
		in = append(in, upd(k*10_000+5, "n", num(k)), add(k*10_000+7, "n", 1))
	}
	in = append(in, ins(1, "tags", 0, str("x"), 3), era(1, "tags", 0, 4))
	cs := cset(in...)
	b.ReportAllocs()
	for b.Loop() {
		require.NoError(b, s.Apply(cs))
	}
}
