package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// ErrMalformed is wrapped by every error a Decoder reports.
var ErrMalformed = errors.New("malformed input")

// ErrVersion is wrapped, together with ErrMalformed, when an encoding
// carries a format version this build does not know.
var ErrVersion = errors.New("unsupported format version")

// Error says what was wrong where. It wraps ErrMalformed (and Cause when
// set), so errors.Is(err, ErrMalformed) holds for every decoding error.
type Error struct {
	Offset int    // byte offset in the input where the bad item starts
	What   string // the item being read, e.g. "class name"
	Reason string // what was wrong with it
	Cause  error  // an underlying error, if any
}

func (e *Error) Error() string {
	return fmt.Sprintf("%v at offset %d: %s: %s", ErrMalformed, e.Offset, e.What, e.Reason)
}

// Unwrap returns ErrMalformed and the cause, if any.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{ErrMalformed, e.Cause}
	}
	return []error{ErrMalformed}
}

// Decoder reads primitives from a byte slice. It never panics and never
// reads past the end: the first problem is recorded (see Err) and every
// later read returns a zero value, so callers may check Err once after a
// group of reads. Every length and count is checked against the bytes
// remaining before anything is allocated for it.
type Decoder struct {
	src []byte
	off int
	err error
}

// NewDecoder returns a Decoder over src.
func NewDecoder(src []byte) Decoder { return Decoder{src: src} }

// Err returns the first error met, or nil.
func (d *Decoder) Err() error { return d.err }

// Offset returns the offset of the next byte to read.
func (d *Decoder) Offset() int { return d.off }

// Len returns the number of bytes not yet read.
func (d *Decoder) Len() int { return len(d.src) - d.off }

// Fail records an error about the item what that starts at offset at,
// unless an error is already recorded, and stops further reading.
func (d *Decoder) Fail(at int, what, reason string) {
	d.FailCause(at, what, reason, nil)
}

// FailCause is Fail with an underlying cause the error wraps.
func (d *Decoder) FailCause(at int, what, reason string, cause error) {
	if d.err == nil {
		d.err = &Error{Offset: at, What: what, Reason: reason, Cause: cause}
	}
	d.off = len(d.src)
}

func (d *Decoder) truncated(what string, need int) {
	d.Fail(d.off, what, fmt.Sprintf("need %d bytes, %d remain", need, d.Len()))
}

// Header reads the two bytes written by AppendHeader and checks them: a
// wrong magic byte is malformed; a different version wraps ErrVersion too.
func (d *Decoder) Header(what string, magic, version byte) {
	at := d.off
	if d.Len() < 2 {
		d.Fail(at, what, fmt.Sprintf("header needs 2 bytes, %d remain", d.Len()))
		return
	}
	m, v := d.src[at], d.src[at+1]
	switch {
	case m != magic:
		d.Fail(at, what, fmt.Sprintf("magic byte %#02x, want %#02x", m, magic))
	case v != version:
		d.FailCause(at+1, what, fmt.Sprintf("format version %d, this build reads version %d", v, version), ErrVersion)
	default:
		d.off += 2
	}
}

// End reports trailing bytes after the item what as an error.
func (d *Decoder) End(what string) {
	if d.err == nil && d.off != len(d.src) {
		d.Fail(d.off, what, fmt.Sprintf("%d trailing bytes", len(d.src)-d.off))
	}
}

// Byte reads one byte.
func (d *Decoder) Byte(what string) byte {
	if d.off >= len(d.src) {
		d.truncated(what, 1)
		return 0
	}
	b := d.src[d.off]
	d.off++
	return b
}

// Bool reads a byte that must be 0 or 1.
func (d *Decoder) Bool(what string) bool {
	at := d.off
	switch b := d.Byte(what); b {
	case 0:
		return false
	case 1:
		return true
	default:
		d.Fail(at, what, fmt.Sprintf("bool byte %#02x, want 0 or 1", b))
		return false
	}
}

// Uvarint reads a minimal unsigned varint.
func (d *Decoder) Uvarint(what string) uint64 {
	if d.off < len(d.src) && d.src[d.off] < 0x80 { // the common one-byte case
		v := uint64(d.src[d.off])
		d.off++
		return v
	}
	v, n := binary.Uvarint(d.src[d.off:])
	d.checkVarint(what, n)
	return v
}

// Varint reads a minimal zig-zag signed varint.
func (d *Decoder) Varint(what string) int64 {
	v, n := binary.Varint(d.src[d.off:])
	d.checkVarint(what, n)
	return v
}

func (d *Decoder) checkVarint(what string, n int) {
	switch {
	case n == 0:
		d.Fail(d.off, what, fmt.Sprintf("varint truncated after %d bytes", d.Len()))
	case n < 0:
		d.Fail(d.off, what, "varint overflows 64 bits")
	case n > 1 && d.src[d.off+n-1] == 0:
		d.Fail(d.off, what, "varint not minimally encoded")
	default:
		d.off += n
	}
}

// Uint32 reads an unsigned varint that must fit in 32 bits.
func (d *Decoder) Uint32(what string) uint32 {
	at := d.off
	v := d.Uvarint(what)
	if v > math.MaxUint32 {
		d.Fail(at, what, fmt.Sprintf("%d does not fit in 32 bits", v))
		return 0
	}
	return uint32(v)
}

// Float64 reads 8 little-endian bytes of IEEE-754 bits.
func (d *Decoder) Float64(what string) float64 {
	if d.Len() < 8 {
		d.truncated(what, 8)
		return 0
	}
	u := binary.LittleEndian.Uint64(d.src[d.off:])
	d.off += 8
	return math.Float64frombits(u)
}

// length reads a length prefix and checks it against the bytes remaining.
func (d *Decoder) length(what string) int {
	at := d.off
	n := d.Uvarint(what)
	if n > uint64(d.Len()) {
		d.Fail(at, what, fmt.Sprintf("length %d exceeds the %d bytes remaining", n, d.Len()))
		return 0
	}
	return int(n)
}

// Bytes reads a length-prefixed byte string. The result aliases the
// input; copy it to keep it beyond the input's lifetime.
func (d *Decoder) Bytes(what string) []byte {
	n := d.length(what)
	b := d.src[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

// String reads a length-prefixed string (a copy).
func (d *Decoder) String(what string) string {
	n := d.length(what)
	s := string(d.src[d.off : d.off+n])
	d.off += n
	return s
}

// Count reads an element count and checks that the bytes remaining can
// hold that many elements of at least minSize bytes each (minSize >= 1),
// so a caller may allocate count elements up front.
func (d *Decoder) Count(what string, minSize int) int {
	at := d.off
	n := d.Uvarint(what)
	if max := uint64(d.Len() / max(minSize, 1)); n > max {
		d.Fail(at, what, fmt.Sprintf("count %d exceeds the %d that the %d bytes remaining can hold", n, max, d.Len()))
		return 0
	}
	return int(n)
}

// Within prefixes the recorded error's item with what, e.g. "instruction
// 3", to say where in a larger structure the bad item was. Call it only
// once an error is recorded; it does nothing otherwise.
func (d *Decoder) Within(what string) {
	var e *Error
	if errors.As(d.err, &e) {
		e.What = what + ": " + e.What
	}
}
