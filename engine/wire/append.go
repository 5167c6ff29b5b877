// Package wire holds the binary primitives shared by the engine's codecs:
// append-style encoders for varints, length-prefixed bytes and strings,
// fixed-width floats and bools, and a bounded Decoder that reads them back
// from untrusted input without panicking and without allocating more than
// the input could hold.
//
// The encoding is canonical: varints are minimal and bools are 0 or 1, and
// the Decoder rejects anything else, so a value has exactly one encoding.
package wire

import (
	"encoding/binary"
	"math"
)

// AppendByte appends b.
func AppendByte(dst []byte, b byte) []byte { return append(dst, b) }

// AppendUvarint appends v as a minimal unsigned varint.
func AppendUvarint(dst []byte, v uint64) []byte { return binary.AppendUvarint(dst, v) }

// AppendVarint appends v as a minimal zig-zag signed varint.
func AppendVarint(dst []byte, v int64) []byte { return binary.AppendVarint(dst, v) }

// AppendBool appends b as one byte, 0 or 1.
func AppendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, 1)
	}
	return append(dst, 0)
}

// AppendFloat64 appends the IEEE-754 bits of f, little-endian, 8 bytes;
// every bit pattern (NaN payloads, negative zero) survives.
func AppendFloat64(dst []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(dst, math.Float64bits(f))
}

// AppendBytes appends b with a uvarint length prefix.
func AppendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

// AppendString appends s with a uvarint length prefix.
func AppendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// AppendHeader appends the two bytes that open a versioned encoding.
func AppendHeader(dst []byte, magic, version byte) []byte {
	return append(dst, magic, version)
}
