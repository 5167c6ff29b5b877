package fuzz

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/changeset/changesettest"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/protocol/protocoltest"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/wire"
)

// seeds is how many generated valid encodings seed each corpus.
const seeds = 64

func FuzzChangesetDecode(f *testing.F) {
	for i := range seeds {
		f.Add(changeset.Encode(changesettest.Changeset().Example(i)))
	}
	f.Add(changeset.Encode(&changeset.Changeset{Instructions: []changeset.Instruction{{Op: changeset.Update,
		Class: "A", PK: changeset.IntPK(1), Field: "f", Value: changeset.Value{Kind: schema.Double, Float: math.NaN()}}}}))
	f.Add([]byte{})
	f.Add([]byte{changeset.Magic, changeset.FormatVersion + 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := changeset.Decode(b)
		if err != nil {
			require.ErrorIs(t, err, wire.ErrMalformed)
			return
		}
		require.NoError(t, cs.Validate(), "what Decode accepts is valid")
		again := changeset.Encode(cs)
		require.Equal(t, b, again, "the encoding is canonical: what decodes re-encodes to the same bytes")
		cs2, err := changeset.Decode(again)
		require.NoError(t, err)
		if !hasNaN(cs) {
			require.Equal(t, cs, cs2)
		}
		require.Equal(t, again, changeset.Encode(cs2), "the same value, bit for bit")
	})
}

func FuzzProtocolDecode(f *testing.F) {
	for i := range seeds {
		f.Add(protocol.Encode(protocoltest.Message().Example(i)))
	}
	// Compensating writes, whose ERRORs carry typed fields of every kind.
	for i := range seeds / 4 {
		e := protocoltest.Error().Example(i)
		e.Code, e.Action = protocol.CompensatingWrite, protocol.ActionRevert
		e.Compensation = protocoltest.Compensation().Example(i)
		f.Add(protocol.Encode(e))
	}
	f.Add(protocol.Encode(&protocol.Error{SessionIdent: 1, Code: protocol.CompensatingWrite, Action: protocol.ActionRevert,
		Message: "client version 3: reverted", Compensation: &protocol.Compensation{ClientVersion: 3, Reverted: []protocol.Reverted{
			{Kind: protocol.RevertedObject, Class: "Task", PK: changeset.IntPK(-1)},
			{Kind: protocol.RevertedObject, Class: "Task", PK: changeset.StrPK("k")},
			{Kind: protocol.RevertedColumn, Class: "Task", Field: "title"},
			{Kind: protocol.RevertedTable, Class: "Note"},
		}}}))
	f.Add([]byte{})
	f.Add([]byte{protocol.Magic, protocol.FormatVersion, byte(protocol.TypeLogInResult) + 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := protocol.Decode(b)
		if err != nil {
			require.ErrorIs(t, err, wire.ErrMalformed)
			return
		}
		require.NoError(t, m.Validate(), "what Decode accepts is valid")
		again := protocol.Encode(m)
		require.Equal(t, b, again, "the encoding is canonical: what decodes re-encodes to the same bytes")
		m2, err := protocol.Decode(again)
		require.NoError(t, err)
		if !messageHasNaN(m) {
			require.Equal(t, m, m2)
		}
		require.Equal(t, again, protocol.Encode(m2), "the same value, bit for bit")
	})
}

// hasNaN reports whether cs holds a NaN, which defeats value equality;
// the byte comparisons still check such changesets bit for bit.
func hasNaN(cs *changeset.Changeset) bool {
	for _, in := range cs.Instructions {
		if math.IsNaN(in.Value.Float) {
			return true
		}
	}
	return false
}

func messageHasNaN(m protocol.Message) bool {
	switch m := m.(type) {
	case *protocol.Upload:
		for i := range m.Changesets {
			if hasNaN(&m.Changesets[i]) {
				return true
			}
		}
	case *protocol.Download:
		for i := range m.Changesets {
			if hasNaN(&m.Changesets[i].Changeset) {
				return true
			}
		}
	}
	return false
}
