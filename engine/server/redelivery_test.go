package server_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
)

// TestUpload_RedeliveryIsIdempotent: whatever earlier UPLOAD messages are
// delivered again, and however often, the server integrates every client
// version exactly once: it ends in the same state as without repeats.
func TestUpload_RedeliveryIsIdempotent(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		nClients := rapid.IntRange(1, 3).Draw(rt, "clients")
		type upload struct {
			client int
			cs     []changeset.Changeset
		}
		// Each client makes a few changesets on the empty realm (bases 0):
		// creates, counter adds and title updates on a few objects.
		var msgs []upload
		for c := 0; c < nClients; c++ {
			var all []changeset.Changeset
			for v := 1; v <= rapid.IntRange(1, 6).Draw(rt, "changesets"); v++ {
				ins := []changeset.Instruction{}
				if v == 1 {
					ins = append(ins, schemaTask...)
				}
				pk := rapid.Int64Range(1, 3).Draw(rt, "pk")
				ins = append(ins, create(pk))
				switch rapid.IntRange(0, 2).Draw(rt, "op") {
				case 0:
					ins = append(ins, add(pk, rapid.Int64Range(-3, 3).Draw(rt, "delta")))
				case 1:
					ins = append(ins, setTitle(pk, rapid.SampledFrom([]string{"a", "b", "c"}).Draw(rt, "title")))
				}
				all = append(all, changeset.Changeset{Version: uint64(v), OriginTimestamp: rapid.Int64Range(0, 3).Draw(rt, "ts"), Instructions: ins})
			}
			for len(all) > 0 {
				n := rapid.IntRange(1, len(all)).Draw(rt, "batch")
				msgs = append(msgs, upload{client: c, cs: all[:n]})
				all = all[n:]
			}
		}
		// The order the messages first arrive in, and the repeats.
		order := rapid.Permutation(msgs).Draw(rt, "order")
		// Keep each client's messages in their own order (a connection is in order).
		byClient := make([][]upload, nClients)
		for _, m := range msgs {
			byClient[m.client] = append(byClient[m.client], m)
		}
		next := make([]int, nClients)
		var plain, repeated []upload
		for _, m := range order {
			u := byClient[m.client][next[m.client]]
			next[m.client]++
			plain = append(plain, u)
			repeated = append(repeated, u)
			for range rapid.IntRange(0, 2).Draw(rt, "repeats") {
				repeated = append(repeated, repeated[rapid.IntRange(0, len(repeated)-1).Draw(rt, "repeat")])
			}
		}
		run := func(seq []upload) [32]byte {
			w := newWorld(t)
			peers := make([]*peer, nClients)
			reps := make([]*replica, nClients)
			for c := range peers {
				peers[c] = w.dial(fmt.Sprintf("c%d", c))
				u, tok := peers[c].login(fmt.Sprintf("u%d", c))
				reps[c], _ = peers[c].open("/r", u, tok)
			}
			for _, u := range seq {
				cs := make([]changeset.Changeset, len(u.cs))
				for i := range u.cs {
					cs[i] = u.cs[i]
					cs[i].OriginFileIdent = reps[u.client].ident
				}
				peers[u.client].upload(reps[u.client], cs...)
			}
			for _, p := range peers {
				for _, m := range p.take() {
					e, ok := m.(*protocol.Error)
					require.False(rt, ok, "error: %+v", e)
				}
			}
			st, ok := w.srv.State("/r")
			require.True(rt, ok)
			return st.Hash()
		}
		require.Equal(rt, run(plain), run(repeated))
	})
}
