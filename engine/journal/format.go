package journal

import (
	"encoding/binary"
	"hash/crc32"
)

// MaxRecord is the largest payload a record may carry. Open treats a
// header claiming more as damaged, so a bad length never makes it allocate.
const MaxRecord = 64 << 20

// headerSize is the size of a record's header; the layout is in the
// package comment.
const headerSize = 24

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecord appends to dst the record carrying payload, to be written
// at file offset off in a write batch that begins at offset base.
func appendRecord(dst []byte, off, base int64, payload []byte) []byte {
	start := len(dst)
	dst = binary.LittleEndian.AppendUint32(dst, 0) // the CRC, filled in below
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(payload)))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(off))
	dst = binary.LittleEndian.AppendUint64(dst, uint64(base))
	dst = append(dst, payload...)
	binary.LittleEndian.PutUint32(dst[start:], crc32.Checksum(dst[start+4:], castagnoli))
	return dst
}

// header checks, without the CRC, the header of a record at offset p of
// the file content b: it fits, names p as its offset, has a base no later
// than p and a payload length within MaxRecord and within b.
func header(b []byte, p int) (n int, base uint64, ok bool) {
	if len(b)-p < headerSize {
		return 0, 0, false
	}
	h := b[p : p+headerSize]
	length := binary.LittleEndian.Uint32(h[4:])
	base = binary.LittleEndian.Uint64(h[16:])
	if binary.LittleEndian.Uint64(h[8:]) != uint64(p) || base > uint64(p) ||
		length > MaxRecord || uint64(length) > uint64(len(b)-p-headerSize) {
		return 0, 0, false
	}
	return int(length), base, true
}

// crcOK reports whether the CRC of the record of payload length n at
// offset p of b, whose header is sound, matches.
func crcOK(b []byte, p, n int) bool {
	return crc32.Checksum(b[p+4:p+headerSize+n], castagnoli) == binary.LittleEndian.Uint32(b[p:])
}

// parse splits the file content b into its intact records, stopping at the
// first offset, end, where no intact record starts. If an intact record
// further on proves that the bytes at end had been synced (its batch base
// lies past end), witness is its offset; otherwise witness is -1 and
// everything from end on is a torn tail. Payloads are capped, so that
// appending to one cannot overwrite the next.
//
// The search for a witness checksums at most len(b) bytes in all: only
// crafted content has many false headers (each must hold its own offset),
// and rather than spend quadratic time on them parse gives up, with
// exhausted set, without deciding.
func parse(b []byte) (records [][]byte, end, witness int, exhausted bool) {
	for {
		n, _, ok := header(b, end)
		if !ok || !crcOK(b, end, n) {
			break
		}
		records = append(records, b[end+headerSize:end+headerSize+n:end+headerSize+n])
		end += headerSize + n
	}
	budget := len(b)
	for y := end + 1; y <= len(b)-headerSize; y++ {
		n, base, ok := header(b, y)
		if !ok || base <= uint64(end) {
			continue
		}
		if budget -= n; budget < 0 {
			return records, end, -1, true
		}
		if crcOK(b, y, n) {
			return records, end, y, false
		}
	}
	return records, end, -1, false
}
