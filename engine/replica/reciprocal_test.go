package replica

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/store"
)

// peer is a replica syncing with a reference server.
type peer struct {
	r     *Replica
	ident uint64
	sent  uint64
}

func newPeer(t *testing.T, srv *refServer, clk env.Clock, seed, ident uint64) *peer {
	p := &peer{r: openTest(t, newDisk(t, seed), clk), ident: ident}
	require.NoError(t, p.r.SetIdent(ident, 5))
	return p
}

func (p *peer) write(t *testing.T, fn func(*Tx) error) {
	_, err := p.r.Write(fn)
	require.NoError(t, err)
}

func (p *peer) upload(t *testing.T, srv *refServer) {
	for _, cs := range p.r.Uploadable(p.sent, 1<<20) {
		require.NoError(t, srv.integrate(p.ident, &cs))
		p.sent = cs.Version
	}
}

func (p *peer) download(t *testing.T, srv *refServer) {
	cur, _ := p.r.DownloadCursor()
	require.NoError(t, p.r.Integrate(srv.download(p.ident, cur.ServerVersion, 1<<20)))
}

func TestRecovery_ReplaysReciprocalForm(t *testing.T) {
	for _, tc := range []struct {
		name string
		// steps at times 1, 2, ...: the other client's writes are uploaded
		// at once; ours stay unsynced; "sync" downloads into ours.
		steps []step
		want  []changeset.Value
	}{
		{"our insert after the server's at the same index keeps its place",
			[]step{{theirs: insertNum(3, 8)}, {ours: insertNum(3, 9)}, {sync: true}},
			nums(1, 2, 3, 8, 9)},
		{"the server inserted before our insert: ours stays after 1",
			[]step{{ours: insertNum(1, 9)}, {theirs: insertNum(0, 0)}, {sync: true}},
			nums(0, 1, 9, 2, 3)},
		{"interleaved across two downloads",
			[]step{{theirs: insertNum(0, 7)}, {ours: insertNum(0, 9)}, {sync: true},
				{ours: insertNum(0, 10)}, {theirs: insertNum(1, 8)}, {sync: true}, {ours: appendNums(11)}},
			nums(10, 7, 9, 8, 1, 2, 3, 11)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fresh, r := interleave(t, tc.steps)
			require.Equal(t, tc.want, listOf(t, r.State(), "Person", alice, "nums"), "the local order before the reset")
			target, _, err := r.Recover(fresh, r.Reciprocal())
			require.NoError(t, err)
			assert.Equal(t, tc.want, listOf(t, target, "Person", alice, "nums"), "the order after the reset")
		})
	}
}

// step is one event of interleave.
type step struct {
	ours, theirs func(*Tx) error
	sync         bool
}

// interleave runs steps from a synced base of alice with nums [1 2 3] and
// returns the server's state (no change of ours reached it) and our replica.
func interleave(t *testing.T, steps []step) (*store.State, *Replica) {
	clk := &stepClock{}
	srv := newRefServer()
	base := newPeer(t, srv, clk, 1, baseIdent)
	base.write(t, aliceWith123)
	base.upload(t, srv)
	ours, theirs := newPeer(t, srv, clk, 2, ourIdent), newPeer(t, srv, clk, 3, 30)
	theirs.download(t, srv)
	theirs.upload(t, srv) // its schema changeset
	ours.download(t, srv)
	ours.upload(t, srv) // its schema changeset: synced
	ours.download(t, srv)
	for i, s := range steps {
		clk.now = env.Time(i + 1)
		switch {
		case s.ours != nil:
			ours.write(t, s.ours)
		case s.theirs != nil:
			theirs.download(t, srv)
			theirs.write(t, s.theirs)
			theirs.upload(t, srv)
		case s.sync:
			ours.download(t, srv)
		}
	}
	return srv.state, ours.r
}

// TestRecovery_ReciprocalFormsOntoTheIntegratedServerStateGiveTheLocalState:
// a replica whose changes never reached the server, after writing and
// integrating downloads in any order (across restarts), recovers onto the
// server state it integrated exactly its own state.
func TestRecovery_ReciprocalFormsOntoTheIntegratedServerStateGiveTheLocalState(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := newSyncRun(t)
		for range rapid.IntRange(0, 30).Draw(t, "steps") {
			switch rapid.IntRange(0, 4).Draw(t, "event") {
			case 0, 1:
				s.write()
			case 2:
				s.otherUpload(rapid.IntRange(0, len(s.others)-1).Draw(t, "client"))
			case 3:
				s.download(rapid.IntRange(1, 3).Draw(t, "batch"))
			case 4:
				s.restart()
			}
		}
		cur, _ := s.r.DownloadCursor()
		fresh := store.New()
		for _, e := range s.srv.history[:cur.ServerVersion] {
			require.NoError(t, fresh.Apply(e.cs))
		}
		target, recovered, err := s.r.Recover(fresh, s.r.Reciprocal())
		if errors.Is(err, ErrRecoveryErasesSchema) {
			require.True(t, erases(s.r.Reciprocal()))
			return
		}
		require.NoError(t, err)
		require.Equal(t, s.r.State().Hash(), target.Hash(), "target\n%s\nlocal\n%s", target, s.r.State())
		got := fresh.Clone()
		require.NoError(t, got.Apply(&changeset.Changeset{Instructions: recovered}))
		require.True(t, got.Equal(target))
	})
}
