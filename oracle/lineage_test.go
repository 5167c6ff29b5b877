package oracle

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
)

// TestLineageIntegrated pins what a client surely and maybe had integrated
// by a time: b's write 1 (changeset 2:1, made at 10) and a's own write 2
// (changeset 1:1, made at 12), as seen by a at t.
func TestLineageIntegrated(t *testing.T) {
	tests := []struct {
		name          string
		step          func(*hist)
		write         history.WriteID // the write whose first incarnation is asked about
		at            int64
		surely, maybe bool
	}{
		{name: "received before t: surely", write: 1, at: 30, surely: true, maybe: true, step: func(h *hist) {
			h.received("a", 1, 29, id(2, 1))
		}},
		{name: "received at the very instant t: not surely before what the client did at t, maybe", write: 1, at: 30, maybe: true, step: func(h *hist) {
			h.received("a", 1, 30, id(2, 1))
		}},
		{name: "received after t: neither", write: 1, at: 30, step: func(h *hist) {
			h.received("a", 1, 31, id(2, 1))
		}},
		{name: "own write committed by t: surely", write: 2, at: 12, surely: true, maybe: true},
		{name: "a server-made changeset received after the write was made: maybe", write: 1, at: 30, maybe: true, step: func(h *hist) {
			h.received("a", 1, 20, id(0, 4))
		}},
		{name: "a manual reset deletes the replica: what it received before does not count after", write: 1, at: 50, step: func(h *hist) {
			h.received("a", 1, 20, id(2, 1))
			h.reset(history.Reset{Client: "a", Mode: history.ModeManual, Outcome: history.ResetManual, Call: 30, Return: 40, OldFile: 1})
		}},
		{name: "a manual reset deletes the replica: its own writes made before do not count after", write: 2, at: 50, step: func(h *hist) {
			h.reset(history.Reset{Client: "a", Mode: history.ModeManual, Outcome: history.ResetManual, Call: 30, Return: 40, OldFile: 1})
		}},
		{name: "a manual reset deletes the replica: a server-made changeset received before does not count after", write: 1, at: 50, step: func(h *hist) {
			h.received("a", 1, 20, id(0, 4))
			h.reset(history.Reset{Client: "a", Mode: history.ModeManual, Outcome: history.ResetManual, Call: 30, Return: 40, OldFile: 1})
		}},
		{name: "a manual reset deletes the replica: what the new one received counts", write: 1, at: 50, surely: true, maybe: true, step: func(h *hist) {
			h.received("a", 1, 20, id(2, 1))
			h.reset(history.Reset{Client: "a", Mode: history.ModeManual, Outcome: history.ResetManual, Call: 30, Return: 40, OldFile: 1})
			h.received("a", 3, 45, id(2, 1))
		}},
		{name: "a manual reset after t does not undo what was integrated by t", write: 1, at: 25, surely: true, maybe: true, step: func(h *hist) {
			h.received("a", 1, 20, id(2, 1))
			h.reset(history.Reset{Client: "a", Mode: history.ModeManual, Outcome: history.ResetManual, Call: 30, Return: 40, OldFile: 1})
		}},
		{name: "a discarding reset does not delete what was integrated", write: 1, at: 50, surely: true, maybe: true, step: func(h *hist) {
			h.received("a", 1, 20, id(2, 1))
			h.reset(history.Reset{Client: "a", Mode: history.ModeDiscard, Outcome: history.ResetDiscarded, Call: 30, Return: 40, OldFile: 1, NewFile: 3})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := build(func(h *hist) {
				h.write(1, "b", id(2, 1), 10, 10, set(t1, "title", history.Str("x")))
				h.write(2, "a", id(1, 1), 12, 12, set(t1, "title", history.Str("y")))
				if tt.step != nil {
					tt.step(h)
				}
			})
			require.NoError(t, h.Validate())
			l := newLineage(h)
			inc := l.fates[tt.write].incs[0]
			require.Equal(t, tt.surely, l.surely("a", inc, tt.at), "surely")
			require.Equal(t, tt.maybe, l.maybe("a", inc, tt.at), "maybe")
		})
	}
}

// TestLineageSameCarrier: writes carried by one recovery changeset are
// ordered as they were made, whatever their timestamps; writes of distinct
// changesets are left to what the clients had integrated.
func TestLineageSameCarrier(t *testing.T) {
	h := build(func(h *hist) {
		recoveredTogether(h)
		h.write(3, "b", id(2, 1), 90, 15, set(t1, "title", history.Str("z")))
	})
	l := newLineage(h)
	first, second := l.fates[1].last(), l.fates[2].last()
	require.Equal(t, id(3, 1), first.id)
	require.Equal(t, id(3, 1), second.id)
	require.True(t, l.surelyAfter(second, first), "the second write on top of the first")
	require.False(t, l.maybeAfter(first, second), "the first write not on top of the second")
	other := l.fates[3].last()
	require.False(t, l.maybeAfter(other, first))
	require.False(t, l.maybeAfter(first, other), "a never received b's")
}
