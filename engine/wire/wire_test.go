package wire

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"
)

func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		u := rapid.Uint64().Draw(t, "u")
		i := rapid.Int64().Draw(t, "i")
		u32 := rapid.Uint32().Draw(t, "u32")
		f := math.Float64frombits(rapid.Uint64().Draw(t, "fbits"))
		bl := rapid.Bool().Draw(t, "bool")
		bs := rapid.SliceOf(rapid.Byte()).Draw(t, "bytes")
		s := rapid.String().Draw(t, "s")
		by := rapid.Byte().Draw(t, "byte")

		var b []byte
		b = AppendHeader(b, 'M', 3)
		b = AppendUvarint(b, u)
		b = AppendVarint(b, i)
		b = AppendUvarint(b, uint64(u32))
		b = AppendFloat64(b, f)
		b = AppendBool(b, bl)
		b = AppendBytes(b, bs)
		b = AppendString(b, s)
		b = AppendByte(b, by)

		d := NewDecoder(b)
		d.Header("test", 'M', 3)
		assert.Equal(t, u, d.Uvarint("u"))
		assert.Equal(t, i, d.Varint("i"))
		assert.Equal(t, u32, d.Uint32("u32"))
		assert.Equal(t, math.Float64bits(f), math.Float64bits(d.Float64("f")))
		assert.Equal(t, bl, d.Bool("bool"))
		assert.Equal(t, len(bs), len(d.Bytes("bytes")))
		assert.Equal(t, s, d.String("s"))
		assert.Equal(t, by, d.Byte("byte"))
		d.End("test")
		require.NoError(t, d.Err())
		assert.Equal(t, 0, d.Len())
		assert.Equal(t, len(b), d.Offset())
	})
}

func TestTruncationsAreRejected(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var b []byte
		b = AppendUvarint(b, rapid.Uint64Min(128).Draw(t, "u"))
		b = AppendVarint(b, rapid.Int64().Draw(t, "i"))
		b = AppendFloat64(b, 1)
		b = AppendString(b, rapid.StringN(1, 10, 40).Draw(t, "s"))
		cut := rapid.IntRange(0, len(b)-1).Draw(t, "cut")
		d := NewDecoder(b[:cut])
		d.Uvarint("u")
		d.Varint("i")
		d.Float64("f")
		d.String("s")
		require.ErrorIs(t, d.Err(), ErrMalformed)
	})
}

func TestRejects(t *testing.T) {
	tests := []struct {
		rule   string
		src    []byte
		read   func(d *Decoder)
		offset int
		err    string
	}{
		{"a truncated varint", []byte{0x80}, func(d *Decoder) { d.Uvarint("n") }, 0, "n: varint truncated after 1 bytes"},
		{"a varint beyond 64 bits", []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}, func(d *Decoder) { d.Uvarint("n") }, 0, "overflows 64 bits"},
		{"a non-minimal uvarint", []byte{0x81, 0x00}, func(d *Decoder) { d.Uvarint("n") }, 0, "not minimally encoded"},
		{"a non-minimal varint", []byte{0x80, 0x80, 0x00}, func(d *Decoder) { d.Varint("n") }, 0, "not minimally encoded"},
		{"a uint32 beyond 32 bits", AppendUvarint(nil, 1<<32), func(d *Decoder) { d.Uint32("n") }, 0, "4294967296 does not fit in 32 bits"},
		{"a bool byte other than 0 or 1", []byte{2}, func(d *Decoder) { d.Bool("b") }, 0, "bool byte 0x02"},
		{"a byte past the end", nil, func(d *Decoder) { d.Byte("b") }, 0, "b: need 1 bytes, 0 remain"},
		{"a float past the end", []byte{1, 2, 3}, func(d *Decoder) { d.Float64("f") }, 0, "f: need 8 bytes, 3 remain"},
		{"a length beyond the input", []byte{0, 5, 'a'}, func(d *Decoder) { d.Byte("x"); d.String("s") }, 1, "s: length 5 exceeds the 1 bytes remaining"},
		{"a huge length", AppendUvarint(nil, math.MaxUint64), func(d *Decoder) { d.Bytes("s") }, 0, "exceeds the 0 bytes remaining"},
		{"a count the input cannot hold", []byte{4, 0, 0, 0, 0, 0, 0, 0}, func(d *Decoder) { d.Count("n", 2) }, 0, "count 4 exceeds the 3 that the 7 bytes remaining can hold"},
		{"a huge count", AppendUvarint(nil, math.MaxUint64), func(d *Decoder) { d.Count("n", 1) }, 0, "exceeds the 0"},
		{"trailing bytes", []byte{1, 2, 3}, func(d *Decoder) { d.Byte("x"); d.End("thing") }, 1, "thing: 2 trailing bytes"},
		{"a wrong magic byte", []byte{'X', 1}, func(d *Decoder) { d.Header("thing", 'M', 1) }, 0, "thing: magic byte 0x58, want 0x4d"},
		{"a short header", []byte{'M'}, func(d *Decoder) { d.Header("thing", 'M', 1) }, 0, "thing: header needs 2 bytes, 1 remain"},
		{"an unknown version, by number", []byte{'M', 7}, func(d *Decoder) { d.Header("thing", 'M', 1) }, 1, "format version 7, this build reads version 1"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			d := NewDecoder(tt.src)
			tt.read(&d)
			var e *Error
			require.ErrorAs(t, d.Err(), &e)
			require.ErrorIs(t, d.Err(), ErrMalformed)
			assert.Equal(t, tt.offset, e.Offset)
			assert.Contains(t, d.Err().Error(), tt.err)
		})
	}
}

func TestCountFitsRemaining(t *testing.T) {
	d := NewDecoder([]byte{3, 0, 0, 0, 0, 0, 0})
	assert.Equal(t, 3, d.Count("n", 2))
	require.NoError(t, d.Err())
}

func TestUnknownVersionWrapsErrVersion(t *testing.T) {
	d := NewDecoder([]byte{'M', 2})
	d.Header("thing", 'M', 1)
	require.ErrorIs(t, d.Err(), ErrVersion)
	d = NewDecoder([]byte{'X', 1})
	d.Header("thing", 'M', 1)
	require.NotErrorIs(t, d.Err(), ErrVersion)
}

func TestFirstErrorSticks(t *testing.T) {
	d := NewDecoder([]byte{2, 0x80})
	assert.False(t, d.Bool("first"))
	assert.Equal(t, uint64(0), d.Uvarint("second"), "reads after an error return zero")
	assert.Equal(t, "", d.String("third"))
	d.Within("outer")
	var e *Error
	require.ErrorAs(t, d.Err(), &e)
	assert.Equal(t, "outer: first", e.What)
	assert.Equal(t, 0, d.Len(), "reading stops at the first error")
}

func TestBytesAliasInputWithCappedCapacity(t *testing.T) {
	src := []byte{2, 'a', 'b', 'c'}
	d := NewDecoder(src)
	b := d.Bytes("b")
	assert.Equal(t, []byte("ab"), b)
	assert.Equal(t, 2, cap(b), "appending to the result cannot overwrite the rest of the input")
}
