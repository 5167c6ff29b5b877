package merge_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/changeset/changesettest"
	"github.com/syncsim/syncsim/engine/merge"
	"github.com/syncsim/syncsim/engine/merge/mergetest"
	"github.com/syncsim/syncsim/engine/store"
)

// TestTP1_Pair: for concurrent changesets a and b on S, S·a·b2 == S·b·a2.
func TestTP1_Pair(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkTP1(t, mergetest.Concurrent(1, 1, 10).Draw(t, "scenario"))
	})
}

// TestTP1_Sequences: for concurrent sequences, S·ours·theirs2 == S·theirs·ours2.
func TestTP1_Sequences(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkTP1(t, mergetest.Concurrent(3, 3, 6).Draw(t, "scenario"))
	})
}

// TestTP1_Lists: TP1 for sequences of list instructions only, on a few
// lists of one object.
func TestTP1_Lists(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		checkTP1(t, mergetest.ListConcurrent(2, 2, 6).Draw(t, "scenario"))
	})
}

func checkTP1(t *rapid.T, sc mergetest.Scenario) {
	ours, theirs := cloneSeq(sc.Ours), cloneSeq(sc.Theirs)
	ours2, theirs2, err := merge.TransformSeq(sc.Ours, sc.Theirs)
	require.NoError(t, err, "%s", describe(sc))
	require.Equal(t, ours, sc.Ours, "TransformSeq modified ours")
	require.Equal(t, theirs, sc.Theirs, "TransformSeq modified theirs")

	x := sc.OursState.Clone()
	require.NoError(t, applyAll(x, theirs2), "S·ours·theirs2\n%s\ntheirs2:\n%s", describe(sc), formatSeq(theirs2))
	y := sc.TheirsState.Clone()
	require.NoError(t, applyAll(y, ours2), "S·theirs·ours2\n%s\nours2:\n%s", describe(sc), formatSeq(ours2))
	if !x.Equal(y) {
		t.Fatalf("TP1 fails\n%s\nours2:\n%s\ntheirs2:\n%s\nS·ours·theirs2:\n%s\nS·theirs·ours2:\n%s",
			describe(sc), formatSeq(ours2), formatSeq(theirs2), x, y)
	}
	require.Equal(t, x.Hash(), y.Hash(), "equal stored states with different hashes")

	// Symmetry: which side calls itself "ours" does not matter.
	theirs3, ours3, err := merge.TransformSeq(sc.Theirs, sc.Ours)
	require.NoError(t, err)
	require.Equal(t, ours2, ours3, "TransformSeq is not symmetric")
	require.Equal(t, theirs2, theirs3, "TransformSeq is not symmetric")
}

// TestTransformSeq_PiecewiseEqualsWhole: transforming against a sequence
// split in two, piece by piece, gives the same changesets as in one call,
// on either side — the way a client integrates a download in several
// messages and a server integrates uploads one at a time.
func TestTransformSeq_PiecewiseEqualsWhole(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		sc := mergetest.Concurrent(3, 3, 5).Draw(t, "scenario")
		ours2, theirs2, err := merge.TransformSeq(sc.Ours, sc.Theirs)
		require.NoError(t, err)

		k := rapid.IntRange(0, len(sc.Theirs)).Draw(t, "split theirs")
		o1, t1, err := merge.TransformSeq(sc.Ours, sc.Theirs[:k])
		require.NoError(t, err)
		o2, t2, err := merge.TransformSeq(o1, sc.Theirs[k:])
		require.NoError(t, err)
		require.Equal(t, ours2, o2)
		require.Equal(t, theirs2, append(t1, t2...))

		k = rapid.IntRange(0, len(sc.Ours)).Draw(t, "split ours")
		o1, t1, err = merge.TransformSeq(sc.Ours[:k], sc.Theirs)
		require.NoError(t, err)
		o2, t2, err = merge.TransformSeq(sc.Ours[k:], t1)
		require.NoError(t, err)
		require.Equal(t, ours2, append(o1, o2...))
		require.Equal(t, theirs2, t2)
	})
}

// TestStrongConvergence_ServerAndClients: a server integrates the uploads
// of several clients, in some order, each against the history the client
// had not seen; each client integrates the server's history in download
// messages of random sizes over its unsynced changesets, skipping its own
// (acknowledged) ones. Every client ends at the server's state.
func TestStrongConvergence_ServerAndClients(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		fleet := mergetest.Clients(4, 2, 5).Draw(t, "fleet")
		order := rapid.Permutation(seqOf(len(fleet.Clients))).Draw(t, "upload order")

		// The server: every client's upload is concurrent with all of
		// the history before it.
		var history []*changeset.Changeset
		var owner []int
		for _, k := range order {
			up, _, err := merge.TransformSeq(fleet.Clients[k], history)
			require.NoError(t, err)
			history = append(history, up...)
			for range up {
				owner = append(owner, k)
			}
		}
		server := fleet.Base.Clone()
		require.NoError(t, applyAll(server, history))

		for k := range fleet.Clients {
			state, local := fleet.States[k].Clone(), fleet.Clients[k]
			for i := 0; i < len(history); {
				if owner[i] == k { // our own upload, acknowledged
					local = nil
					i++
					continue
				}
				end := i + 1 + rapid.IntRange(0, 2).Draw(t, "download size")
				for j := i + 1; j < end; j++ {
					if j == len(history) || owner[j] == k {
						end = j
						break
					}
				}
				l2, down, err := merge.TransformSeq(local, history[i:end])
				require.NoError(t, err)
				require.NoError(t, applyAll(state, down), "client %d", k)
				local, i = l2, end
			}
			if !state.Equal(server) {
				t.Fatalf("client %d diverges from the server\nbase:\n%s\nupload order %v\nclient %d:\n%s\nserver:\n%s",
					k, fleet.Base, order, k, state, server)
			}
		}
	})
}

func seqOf(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

func applyAll(s *store.State, seq []*changeset.Changeset) error {
	for i, cs := range seq {
		if err := s.Apply(cs); err != nil {
			return fmt.Errorf("changeset %d: %w", i, err)
		}
	}
	return nil
}

func cloneSeq(seq []*changeset.Changeset) []*changeset.Changeset {
	out := make([]*changeset.Changeset, len(seq))
	for i, cs := range seq {
		c := *cs
		c.Instructions = slices.Clone(cs.Instructions)
		out[i] = &c
	}
	return out
}

func describe(sc mergetest.Scenario) string {
	return fmt.Sprintf("base:\n%s\nours:\n%s\ntheirs:\n%s", sc.Base, formatSeq(sc.Ours), formatSeq(sc.Theirs))
}

func formatSeq(seq []*changeset.Changeset) string {
	var b strings.Builder
	for i, cs := range seq {
		fmt.Fprintf(&b, "  [%d] ts=%d ident=%d\n", i, cs.OriginTimestamp, cs.OriginFileIdent)
		for _, in := range cs.Instructions {
			b.WriteString("      " + formatInstruction(in) + "\n")
		}
	}
	return b.String()
}

// formatInstruction shows the fields an instruction's op uses.
func formatInstruction(in changeset.Instruction) string {
	obj := fmt.Sprintf("%s[%v]", in.Class, pkString(in.PK))
	switch in.Op {
	case changeset.AddTable:
		return fmt.Sprintf("AddTable %s pk %s", in.Class, in.PKKind)
	case changeset.EraseTable:
		return "EraseTable " + in.Class
	case changeset.AddColumn:
		return fmt.Sprintf("AddColumn %s.%s %s", in.Class, in.Field, in.Type)
	case changeset.EraseColumn:
		return fmt.Sprintf("EraseColumn %s.%s", in.Class, in.Field)
	case changeset.CreateObject, changeset.EraseObject:
		return fmt.Sprintf("%s %s", in.Op, obj)
	case changeset.Update:
		at := ""
		if in.InList {
			at = fmt.Sprintf("[%d]", in.Index)
		}
		return fmt.Sprintf("Update %s.%s%s = %s default=%v", obj, in.Field, at, valueString(in.Value), in.IsDefault)
	case changeset.AddInteger:
		return fmt.Sprintf("AddInteger %s.%s %+d", obj, in.Field, in.Delta)
	case changeset.ArrayInsert:
		return fmt.Sprintf("ArrayInsert %s.%s[%d] = %s prior %d", obj, in.Field, in.Index, valueString(in.Value), in.PriorSize)
	case changeset.ArrayMove:
		return fmt.Sprintf("ArrayMove %s.%s %d->%d prior %d", obj, in.Field, in.Index, in.To, in.PriorSize)
	case changeset.ArrayErase:
		return fmt.Sprintf("ArrayErase %s.%s[%d] prior %d", obj, in.Field, in.Index, in.PriorSize)
	case changeset.Clear:
		return fmt.Sprintf("Clear %s.%s", obj, in.Field)
	}
	return fmt.Sprintf("%+v", in)
}

func pkString(pk changeset.PK) string {
	if pk.Str != "" {
		return fmt.Sprintf("%q", pk.Str)
	}
	return fmt.Sprint(pk.Int)
}

func valueString(v changeset.Value) string {
	switch {
	case v.Null():
		return "null"
	case v.Class != "":
		return fmt.Sprintf("%s[%s]", v.Class, pkString(v.Target))
	case v.Str != "":
		return fmt.Sprintf("%q", v.Str)
	case v.Float != 0:
		return fmt.Sprint(v.Float)
	case v.Bool:
		return "true"
	}
	return fmt.Sprintf("%s:%d", v.Kind, v.Int)
}

// TestTransformSeq_ArbitraryInput: on arbitrary valid instructions (names
// from a small pool, prior sizes that need not agree) TransformSeq never
// panics, and when it succeeds every instruction it returns is valid and
// there are no more of them than it was given.
func TestTransformSeq_ArbitraryInput(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ours := rapid.SliceOfN(changesettest.Changeset(), 1, 3).Draw(t, "ours")
		theirs := rapid.SliceOfN(changesettest.Changeset(), 1, 3).Draw(t, "theirs")
		ours2, theirs2, err := merge.TransformSeq(ours, theirs)
		if err != nil {
			return
		}
		for _, pair := range [][2][]*changeset.Changeset{{ours, ours2}, {theirs, theirs2}} {
			in, out := pair[0], pair[1]
			require.Len(t, out, len(in))
			for i := range out {
				require.LessOrEqual(t, len(out[i].Instructions), len(in[i].Instructions))
				require.NoError(t, out[i].Validate())
			}
		}
	})
}
