package merge_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/merge"
)

// benchChangeset returns a 20-instruction changeset on the fixture, made
// by a writer with the given timestamp: field updates, counter adds and
// list edits on Item[1..3], so that two of them conflict a lot. shift
// varies which objects and positions it touches.
func benchChangeset(ts int64, ident uint64, shift int) *changeset.Changeset {
	var in []changeset.Instruction
	size := uint32(4) // Item[1].tags
	for k := range 20 {
		obj := int64(1 + (k+shift)%3)
		switch k % 5 {
		case 0:
			in = append(in, upd(obj, "n", num(int64(k))))
		case 1:
			in = append(in, add(obj, "n", 1))
		case 2:
			in = append(in, ins(1, "tags", uint32(k+shift)%(size+1), str("x"), size))
			size++
		case 3:
			in = append(in, set(1, "tags", uint32(k*shift)%size, str("y")))
		case 4:
			in = append(in, mov(1, "tags", uint32(k)%size, uint32(shift)%size, size))
		}
	}
	return cs(ts, ident, in...)
}

func TestBenchChangesets_AreValidAndConverge(t *testing.T) {
	converge(t, fixture(t), benchChangeset(1, 1, 0), benchChangeset(2, 2, 1))
}

// BenchmarkTransform_20x20: Transform of two concurrent 20-instruction
// changesets that conflict on the same objects and list.
func BenchmarkTransform_20x20(b *testing.B) {
	x, y := benchChangeset(1, 1, 0), benchChangeset(2, 2, 1)
	b.ReportAllocs()
	for b.Loop() {
		_, _, err := merge.Transform(x, y)
		require.NoError(b, err)
	}
}
