package changeset_test

import (
	"encoding/hex"
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/changeset/changesettest"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/wire"
)

func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		cs := changesettest.Changeset().Draw(t, "cs")
		require.NoError(t, cs.Validate())
		b := changeset.Encode(cs)
		got, err := changeset.Decode(b)
		require.NoError(t, err)
		require.Equal(t, cs, got)
		require.Equal(t, b, changeset.Encode(got), "the encoding is canonical")
		prefix := []byte("prefix")
		require.Equal(t, append(prefix, b...), changeset.AppendBinary(prefix, cs))
	})
}

func TestTruncationsAreRejected(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := changeset.Encode(changesettest.Changeset().Draw(t, "cs"))
		n := rapid.IntRange(0, len(b)-1).Draw(t, "cut")
		_, err := changeset.Decode(b[:n])
		require.ErrorIs(t, err, wire.ErrMalformed)
	})
}

func TestFloatBitsSurvive(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Float64frombits(0x7ff8_0000_dead_beef), math.Copysign(0, -1)} {
		cs := &changeset.Changeset{Instructions: []changeset.Instruction{{Op: changeset.Update, Class: "A",
			PK: changeset.IntPK(1), Field: "f", Value: changeset.Value{Kind: schema.Double, Float: f}}}}
		got, err := changeset.Decode(changeset.Encode(cs))
		require.NoError(t, err)
		assert.Equal(t, math.Float64bits(f), math.Float64bits(got.Instructions[0].Value.Float))
	}
}

// golden is a changeset whose encoding is pinned: a change to these bytes
// is a format change and needs a new FormatVersion.
var golden = &changeset.Changeset{
	Version: 3, LastIntegratedServerVersion: 7, OriginTimestamp: -1, OriginFileIdent: 2,
	Instructions: []changeset.Instruction{
		{Op: changeset.AddTable, Class: "T", PKKind: schema.Int},
		{Op: changeset.AddColumn, Class: "T", Field: "l", Type: schema.PropType{Kind: schema.Link, List: true, Target: "T"}},
		{Op: changeset.Update, Class: "T", PK: changeset.StrPK("k"), Field: "f", InList: true, IsDefault: true, Index: 1,
			Value: changeset.Value{Kind: schema.Link, Class: "T", Target: changeset.IntPK(-2)}},
		{Op: changeset.ArrayMove, Class: "T", PK: changeset.IntPK(1), Field: "l", Index: 2, To: 0, PriorSize: 3},
		{Op: changeset.AddInteger, Class: "T", PK: changeset.IntPK(1), Field: "n", Delta: -5},
	},
}

const goldenHex = "4301" + "03" + "07" + "01" + "02" + "05" +
	"01" + "0154" + "01" +
	"03" + "0154" + "016c" + "0602" + "0154" +
	"07" + "0154" + "03016b" + "0166" + "03" + "01" + "06" + "0154" + "0103" +
	"0a" + "0154" + "0102" + "016c" + "02" + "00" + "03" +
	"08" + "0154" + "0102" + "016e" + "09"

func TestGoldenEncoding(t *testing.T) {
	require.NoError(t, golden.Validate())
	assert.Equal(t, goldenHex, hex.EncodeToString(changeset.Encode(golden)))
	b, err := hex.DecodeString(goldenHex)
	require.NoError(t, err)
	got, err := changeset.Decode(b)
	require.NoError(t, err)
	assert.Equal(t, golden, got)
}

func TestDecodeRejects(t *testing.T) {
	valid := changeset.Encode(golden)
	tests := []struct {
		rule string
		src  []byte
		err  string
	}{
		{"empty input", nil, "changeset: header needs 2 bytes, 0 remain"},
		{"wrong magic byte", append([]byte{'X'}, valid[1:]...), "magic byte 0x58"},
		{"unknown format version is named", append([]byte{'C', 9}, valid[2:]...), "format version 9, this build reads version 1"},
		{"trailing bytes", append(valid[:len(valid):len(valid)], 0), "1 trailing bytes"},
		{"instruction count beyond the input", hx("4301 00 00 00 00 ff01"), "count 255 exceeds"},
		{"unknown op", hx("4301 00 00 00 00 01 20 0154"), "unknown op 32"},
		{"op zero", hx("4301 00 00 00 00 01 00 0154"), "unknown op 0"},
		{"string length beyond the input", hx("4301 00 00 00 00 01 02 7f54"), "length 127 exceeds the 1 bytes remaining"},
		{"empty class name", hx("4301 00 00 00 00 01 02 00 0000"), "empty class name"},
		{"table primary key kind", hx("4301 00 00 00 00 01 01 0154 04"), "primary key kind double"},
		{"object primary key kind", hx("4301 00 00 00 00 01 05 0154 0400"), "kind 4 is not int or string"},
		{"non-minimal varint", hx("4301 8000 00 00 00 00"), "not minimally encoded"},
		{"varint overflow", hx("4301 ffffffffffffffffffff01 00 00 00 00"), "overflows 64 bits"},
		{"index beyond 32 bits", hx("4301 00 00 00 00 01 0b 0154 0102 0166 8080808010 00 01"), "does not fit in 32 bits"},
		{"erase past the end of the list", hx("4301 00 00 00 00 01 0b 0154 0102 0166 03 03"), "erase at index 3 of a list of size 3"},
		{"move past the end of the list", hx("4301 00 00 00 00 01 0a 0154 0102 0166 00 03 03"), "move from index 0 to 3"},
		{"insert past the end of the list", hx("4301 00 00 00 00 01 09 0154 0102 0166 04 03 00"), "insert at index 4 of a list of size 3"},
		{"unknown value kind", hx("4301 00 00 00 00 01 07 0154 0102 0166 00 07"), "unknown kind 7"},
		{"bool byte other than 0 or 1", hx("4301 00 00 00 00 01 07 0154 0102 0166 00 02 02"), "bool byte 0x02"},
		{"unknown update flag bits", hx("4301 00 00 00 00 01 07 0154 0102 0166 04 00"), "unknown flag bits 0x04"},
		{"link value without a class", hx("4301 00 00 00 00 01 07 0154 0102 0166 00 06 00 0102"), "link value without a class"},
		{"column of invalid kind", hx("4301 00 00 00 00 01 03 0154 0166 0000"), "not a valid kind"},
		{"link column without a target", hx("4301 00 00 00 00 01 03 0154 0166 0600 00"), "link property without a target"},
		{"unknown column flag bits", hx("4301 00 00 00 00 01 03 0154 0166 0108"), "unknown flag bits 0x08"},
		{"empty field name", hx("4301 00 00 00 00 01 04 0154 00"), "empty field name"},
		{"truncated float", hx("4301 00 00 00 00 01 07 0154 0102 0166 00 04 0000"), "need 8 bytes, 2 remain"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			_, err := changeset.Decode(tt.src)
			require.ErrorIs(t, err, wire.ErrMalformed)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestUnknownVersionWrapsErrVersion(t *testing.T) {
	_, err := changeset.Decode([]byte{changeset.Magic, changeset.FormatVersion + 1})
	require.ErrorIs(t, err, wire.ErrVersion)
	_, err = changeset.Decode([]byte{changeset.Magic, changeset.FormatVersion})
	require.NotErrorIs(t, err, wire.ErrVersion)
}

func TestDecodeErrorSaysWhere(t *testing.T) {
	b := changeset.Encode(golden)
	b[len(b)-1] = 0 // AddInteger of instruction 4 now has Delta 0: still valid
	_, err := changeset.Decode(b)
	require.NoError(t, err)
	b[10] = byte(schema.Double) // instruction 0's primary key kind
	_, err = changeset.Decode(b)
	var we *wire.Error
	require.ErrorAs(t, err, &we)
	assert.Equal(t, 7, we.Offset, "the instruction's start")
	assert.Equal(t, "instruction 0: AddTable", we.What)
	require.ErrorIs(t, err, changeset.ErrInvalid)
}

func hx(s string) []byte {
	var clean []byte
	for _, c := range []byte(s) {
		if c != ' ' {
			clean = append(clean, c)
		}
	}
	b, err := hex.DecodeString(string(clean))
	if err != nil {
		panic(fmt.Sprintf("bad test hex %q: %v", s, err))
	}
	return b
}

func TestClaimedCountDoesNotAllocateUpFront(t *testing.T) {
	src := wire.AppendUvarint(hx("4301 00 00 00 00"), 100_000)
	src = append(src, make([]byte, 300_000)...) // room for the count, but op 0 fails at once
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := changeset.Decode(src)
	runtime.ReadMemStats(&after)
	require.ErrorContains(t, err, "unknown op 0")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(200_000),
		"100,000 instructions would take over 20 MB")
}
