package protocol_test

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/protocol/protocoltest"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/wire"
)

func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := protocoltest.Message().Draw(t, "m")
		require.NoError(t, m.Validate())
		b := protocol.Encode(m)
		got, err := protocol.Decode(b)
		require.NoError(t, err)
		require.Equal(t, m, got)
		require.Equal(t, b, protocol.Encode(got), "the encoding is canonical")
		prefix := []byte{1, 2, 3}
		require.Equal(t, append(prefix, b...), protocol.Append(prefix, m))
	})
}

func TestTruncationsAreRejected(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := protocol.Encode(protocoltest.Message().Draw(t, "m"))
		for n := range len(b) {
			_, err := protocol.Decode(b[:n])
			require.ErrorIs(t, err, wire.ErrMalformed, "cut at %d of %d", n, len(b))
		}
	})
}

func TestTrailingBytesAreRejected(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := protocol.Encode(protocoltest.Message().Draw(t, "m"))
		b = append(b, rapid.SliceOfN(rapid.Byte(), 1, 4).Draw(t, "extra")...)
		_, err := protocol.Decode(b)
		require.ErrorIs(t, err, wire.ErrMalformed)
		assert.Contains(t, err.Error(), "trailing bytes")
	})
}

// TestGoldenEncoding_CompensatingWrite pins the encoding of an ERROR with
// a compensation: a change to these bytes is a format change and needs a
// new FormatVersion.
func TestGoldenEncoding_CompensatingWrite(t *testing.T) {
	m := &protocol.Error{SessionIdent: 1, Code: protocol.CompensatingWrite, Action: protocol.ActionRevert, Message: "m",
		Compensation: &protocol.Compensation{ClientVersion: 3, Reverted: []protocol.Reverted{
			{Kind: protocol.RevertedObject, Class: "T", PK: changeset.IntPK(1)},
			{Kind: protocol.RevertedObject, Class: "T", PK: changeset.StrPK("k")},
			{Kind: protocol.RevertedColumn, Class: "T", Field: "f"},
			{Kind: protocol.RevertedTable, Class: "U"},
		}}}
	const want = "5002" + "08" + "01" + "dc01" + "06" + "016d" + "00" + "01" + "03" + "04" +
		"01" + "0154" + "01" + "02" + "01" + "0154" + "03" + "016b" + "02" + "0154" + "0166" + "03" + "0155"
	assert.Equal(t, want, hex.EncodeToString(protocol.Encode(m)))
	got, err := protocol.Decode(protocol.Encode(m))
	require.NoError(t, err)
	assert.Equal(t, m, got)
	var names []string
	for _, r := range m.Compensation.Reverted {
		names = append(names, r.String())
	}
	assert.Equal(t, []string{"T[1]", `T["k"]`, "T.f", "U"}, names)
}

// golden pins the encoding of one message: a change to these bytes is a
// format change and needs a new FormatVersion.
func TestGoldenEncoding(t *testing.T) {
	m := &protocol.Download{
		SessionIdent: 1, DownloadCursor: protocol.DownloadCursor{ServerVersion: 9, LastIntegratedClientVersion: 4},
		ServerVersionSalt: 300, LatestServerVersion: 10, UploadCursor: protocol.UploadCursor{ClientVersion: 4, LastIntegratedServerVersion: 8},
		DownloadableBytes: 0,
		Changesets: []protocol.ServerChangeset{{ServerVersion: 9, LastIntegratedClientVersion: 4, Changeset: changeset.Changeset{
			Version: 2, LastIntegratedServerVersion: 7, OriginTimestamp: 5, OriginFileIdent: 3,
			Instructions: []changeset.Instruction{{Op: changeset.EraseObject, Class: "T", PK: changeset.IntPK(1)}}}}},
	}
	const want = "5002" + "05" + "01" + "0904" + "ac02" + "0a" + "0408" + "00" + "01" + "0904" +
		"4301" + "02" + "07" + "0a" + "03" + "01" + "06" + "0154" + "0102"
	assert.Equal(t, want, hex.EncodeToString(protocol.Encode(m)))
}

func TestDecodeRejects(t *testing.T) {
	tests := []struct {
		rule string
		hex  string
		err  string
	}{
		{"empty input", "", "message: header needs 2 bytes"},
		{"wrong magic byte", "4301 07 01", "magic byte 0x43"},
		{"unknown format version is named", "5003 07 01", "format version 3, this build reads version 2"},
		{"unknown message type", "5002 2a", "unknown type 42"},
		{"message type zero", "5002 00", "unknown type 0"},
		{"session ident 0", "5002 07 00", "UNBIND: session ident 0"},
		{"empty realm path", "5002 01 01 00 00 00 00 00", "BIND: empty realm path"},
		{"bool other than 0 or 1", "5002 01 01 0161 00 00 05 00", "bool byte 0x05"},
		{"assigned client file ident 0", "5002 02 01 00 07", "SERVER_IDENT: client file ident 0"},
		{"presented client file ident 0", "5002 03 01 00 00 00 00 00", "CLIENT_IDENT: client file ident 0"},
		{"unknown error code", "5002 08 00 63 01 00 00 00", "unknown code 99"},
		{"error code beyond 16 bits", "5002 08 00 e58004 01 00 00 00", "unknown code 65637"},
		{"unknown action", "5002 08 00 65 07 00 00 00", "unknown action 7"},
		{"action invalid", "5002 08 00 65 00 00 00 00", "unknown action 0"},
		{"negative backoff", "5002 08 00 65 02 00 01 00", "negative backoff"},
		{"a compensating write carries its compensation", "5002 08 01 dc01 06 00 00 00", "ERROR: compensating write without its compensation"},
		{"only a compensating write carries a compensation", "5002 08 01 65 02 00 00 01 05 01 03 0154", "a compensation in an error of code bad syntax"},
		{"compensation flag other than 0 or 1", "5002 08 01 dc01 06 00 00 02", "has compensation: bool byte 0x02"},
		{"compensation of client version 0", "5002 08 01 dc01 06 00 00 01 00 01 03 0154", "compensation: client version 0"},
		{"compensation that reverted nothing", "5002 08 01 dc01 06 00 00 01 05 00", "compensation: nothing reverted"},
		{"reverted count beyond the input", "5002 08 01 dc01 06 00 00 01 05 09 03 0154", "reverted count: count 9 exceeds"},
		{"unknown reverted kind", "5002 08 01 dc01 06 00 00 01 05 01 07 0154", "reverted 0: reverted kind: unknown kind 7"},
		{"reverted kind invalid", "5002 08 01 dc01 06 00 00 01 05 01 00 0154", "reverted 0: reverted kind: unknown kind 0"},
		{"reverted object's key of no key kind", "5002 08 01 dc01 06 00 00 01 05 01 01 0154 02 01", "reverted 0: reverted primary key kind: kind 2 is no primary key kind"},
		{"reverted object's key truncated", "5002 08 01 dc01 06 00 00 01 05 01 01 0154 03 05", "reverted 0: reverted primary key"},
		{"reverted class named", "5002 08 01 dc01 06 00 00 01 05 01 01 00 01 02", "reverted 0: object of an empty class name"},
		{"reverted column named", "5002 08 01 dc01 06 00 00 01 05 01 02 0154 00", "reverted 0: column of T: empty field name"},
		{"negative round-trip time", "5002 09 00 03", "negative round-trip time"},
		{"changeset count beyond the input", "5002 04 01 00 00 00 00 05 4301000000000000", "count 5 exceeds"},
		{"malformed changeset inside", "5002 04 01 00 00 00 00 01 4301 00 00 00 00 01 07 0154 0102 0166 00 09", "changeset 0: instruction 0: value kind: unknown kind 9"},
		{"changeset of unknown version inside", "5002 04 01 00 00 00 00 01 4302 00 00 00 00 00", "changeset 0: changeset: format version 2"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			_, err := protocol.Decode(hx(t, tt.hex))
			require.ErrorIs(t, err, wire.ErrMalformed)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestDecodeErrorKinds(t *testing.T) {
	_, err := protocol.Decode(hx(t, "5009 07 01"))
	assert.ErrorIs(t, err, wire.ErrVersion, "a server answers this with WrongProtocolVersion")
	_, err = protocol.Decode(hx(t, "5002 63"))
	assert.ErrorIs(t, err, protocol.ErrUnknownType, "a server answers this with UnknownMessage")
	_, err = protocol.Decode(hx(t, "5002 07 00"))
	assert.ErrorIs(t, err, protocol.ErrInvalid)
}

func TestValidate(t *testing.T) {
	bad := changeset.Changeset{Instructions: []changeset.Instruction{{Op: changeset.Update, Class: "A"}}}
	tests := []struct {
		rule string
		m    protocol.Message
		err  string
	}{
		{"session messages name a session", &protocol.Mark{}, "MARK: session ident 0"},
		{"a connection-level error has session 0", &protocol.Error{Code: protocol.BadSyntax, Action: protocol.ActionFatal}, ""},
		{"an error's action may differ from its code's", &protocol.Error{SessionIdent: 1, Code: protocol.DivergingHistories, Action: protocol.ActionClientResetNoRecovery}, ""},
		{"an error has a known code", &protocol.Error{Code: 7, Action: protocol.ActionFatal}, "unknown error code 7"},
		{"uploaded changesets are valid", &protocol.Upload{SessionIdent: 1, Changesets: []changeset.Changeset{{}, bad}}, "UPLOAD: changeset 1: invalid changeset: instruction 0: Update: empty field name"},
		{"downloaded changesets are valid", &protocol.Download{SessionIdent: 1, Changesets: []protocol.ServerChangeset{{Changeset: bad}}}, "DOWNLOAD: changeset 0"},
		{"a compensating write names its changeset's client version", &protocol.Error{Code: protocol.CompensatingWrite, Action: protocol.ActionRevert,
			Compensation: &protocol.Compensation{Reverted: []protocol.Reverted{{Kind: protocol.RevertedTable, Class: "T"}}}}, "compensation: client version 0"},
		{"a reverted object's key is an int or a string", &protocol.Error{Code: protocol.CompensatingWrite, Action: protocol.ActionRevert,
			Compensation: &protocol.Compensation{ClientVersion: 1, Reverted: []protocol.Reverted{{Kind: protocol.RevertedObject, Class: "T"}}}}, "reverted 0: object T: primary key of kind invalid"},
		{"a reverted object's key has one value", &protocol.Error{Code: protocol.CompensatingWrite, Action: protocol.ActionRevert,
			Compensation: &protocol.Compensation{ClientVersion: 1, Reverted: []protocol.Reverted{{Kind: protocol.RevertedObject, Class: "T", PK: changeset.PK{Kind: schema.Int, Str: "x"}}}}}, "a int primary key with a value of another kind"},
		{"a reverted object has no field", &protocol.Error{Code: protocol.CompensatingWrite, Action: protocol.ActionRevert,
			Compensation: &protocol.Compensation{ClientVersion: 1, Reverted: []protocol.Reverted{{Kind: protocol.RevertedObject, Class: "T", PK: changeset.IntPK(1), Field: "f"}}}}, "object T[1]: a field name"},
		{"a reverted column has no key", &protocol.Error{Code: protocol.CompensatingWrite, Action: protocol.ActionRevert,
			Compensation: &protocol.Compensation{ClientVersion: 1, Reverted: []protocol.Reverted{{Kind: protocol.RevertedColumn, Class: "T", PK: changeset.IntPK(1), Field: "f"}}}}, "column T.f: a primary key"},
		{"a reverted table has no key or field", &protocol.Error{Code: protocol.CompensatingWrite, Action: protocol.ActionRevert,
			Compensation: &protocol.Compensation{ClientVersion: 1, Reverted: []protocol.Reverted{{Kind: protocol.RevertedTable, Class: "T", Field: "f"}}}}, "table T: a primary key or field name"},
		{"any pong is valid", &protocol.Pong{Timestamp: -5}, ""},
		{"a ping may measure no round trip yet", &protocol.Ping{}, ""},
		{"a ping's round trip is not negative", &protocol.Ping{RTT: -time.Second}, "negative round-trip time -1s"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			err := tt.m.Validate()
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, protocol.ErrInvalid)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestTypeNames(t *testing.T) {
	for ty := protocol.TypeBind; ty <= protocol.TypeLogInResult; ty++ {
		assert.NotContains(t, ty.String(), "TYPE(", "type %d has a name", ty)
	}
	assert.Equal(t, "TYPE(42)", protocol.Type(42).String())
}

// An invalid changeset the codec cannot carry is caught by Validate before
// sending, and by Decode at the receiver.
func TestInvalidChangesetIsRejectedByTheReceiver(t *testing.T) {
	m := &protocol.Upload{SessionIdent: 1, Changesets: []changeset.Changeset{{Instructions: []changeset.Instruction{
		{Op: changeset.AddTable, Class: "A", PKKind: schema.Double}}}}}
	require.Error(t, m.Validate())
	_, err := protocol.Decode(protocol.Encode(m))
	require.ErrorIs(t, err, changeset.ErrInvalid)
}

func hx(t *testing.T, s string) []byte {
	var clean []byte
	for _, c := range []byte(s) {
		if c != ' ' {
			clean = append(clean, c)
		}
	}
	b, err := hex.DecodeString(string(clean))
	require.NoError(t, err)
	return b
}
