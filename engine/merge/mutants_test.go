package merge_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/merge"
	"github.com/syncsim/syncsim/engine/mutant"
)

// TestMutants_BreakTheirRule: each merge mutant breaks the conflict rule
// it is at: on a case the unmutated transform gets right, the mutated one
// reaches another state (or two different ones: TP1 fails).
func TestMutants_BreakTheirRule(t *testing.T) {
	cases := []struct {
		m    mutant.Mutant
		a, b *changeset.Changeset
		want []changeset.Instruction
	}{
		{mutant.UpdateIgnoresDiscriminant,
			cs(3, 1, upd(1, "n", num(1))), cs(5, 2, upd(1, "n", num(2))),
			seq(upd(1, "n", num(2)))},
		{mutant.EraseLosesToCreate,
			cs(1, 1, upd(2, "n", num(4)), erase(2)), cs(9, 2, create(2), upd(2, "s", str("x"))),
			seq(erase(2))},
		{mutant.InsertTieUnordered,
			cs(1, 1, ins(1, "tags", 0, str("x"), 4)), cs(2, 2, ins(1, "tags", 0, str("y"), 4)),
			tags("x", "y", "a", "b", "c", "d")},
		{mutant.AddLosesToAdd,
			cs(1, 1, add(1, "n", 2)), cs(2, 2, add(1, "n", 3)),
			seq(upd(1, "n", num(5)))},
	}
	require.Len(t, cases, countLayer(mutant.LayerMerge), "a case for every merge mutant")
	for _, c := range cases {
		t.Run(c.m.Name(), func(t *testing.T) {
			want := fixture(t)
			require.NoError(t, want.Apply(&changeset.Changeset{Instructions: c.want}))
			for _, set := range []mutant.Set{0, mutant.Of(c.m)} {
				a2, b2, err := merge.TransformSeqWith([]*changeset.Changeset{c.a}, []*changeset.Changeset{c.b}, set)
				require.NoError(t, err)
				ab, ba := fixture(t), fixture(t)
				require.NoError(t, ab.Apply(c.a))
				require.NoError(t, ab.Apply(b2[0]))
				require.NoError(t, ba.Apply(c.b))
				require.NoError(t, ba.Apply(a2[0]))
				right := ab.Equal(want) && ba.Equal(want)
				assert.Equal(t, set == 0, right, "mutants %q: S·a·b2:\n%s\nS·b·a2:\n%s\nwant:\n%s", set, ab, ba, want)
			}
		})
	}
}

func countLayer(l mutant.Layer) int {
	n := 0
	for _, m := range mutant.All() {
		if m.Layer() == l {
			n++
		}
	}
	return n
}
