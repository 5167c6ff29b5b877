// Package journal is a durable, append-only log of records on an
// env.Storage: what the sync server and client must not lose, so that a
// crash and restart loses nothing that was synced.
//
// # Durability
//
// Append only buffers a record in memory; Sync writes the buffered records
// to the end of the file and syncs it. Records are durable once Sync has
// returned nil, and not before: a crash may keep any prefix of the records
// appended since the last successful Sync, but never a record without all
// those before it. Every record Open returns is durable (Open syncs the file
// before returning, since it may read writes a previous session never
// synced).
//
// If Sync fails, the journal stays usable and nothing is lost from memory:
// the records stay buffered, and the next Sync writes all of them again at
// the same offset before syncing again. Writing them again, rather than
// only retrying the sync, matters on real systems, which may drop the
// dirty pages of a failed sync and then report the next sync as a success.
// Close does not sync: records appended since the last successful Sync are
// dropped.
//
// # Format
//
// The file is a sequence of records, each a 24-byte header followed by the
// payload; integers are little-endian:
//
//	offset  size    field
//	0       4       crc     CRC-32C (Castagnoli) of bytes 4 up to the end of the payload
//	4       4       length  payload length, at most MaxRecord
//	8       8       off     the record's own offset in the file
//	16      8       base    the offset where the write batch holding the record began
//	24      length  payload
//
// A write batch is what one Sync writes; it begins at the end of the data
// made durable by the previous successful Sync, so base says "every byte
// before base was durable when this record was written".
//
// # Recovery: torn tail or corruption
//
// Open reads the records in order up to the first offset where no intact
// record starts (too short for a header, a length past MaxRecord or past
// the end of the file, an off that is not the record's offset, a base past
// it, or a bad CRC). What follows is a torn tail, left by a crash in the
// middle of a write, unless an intact record further on has a base past
// that offset: then the damaged bytes had been synced before that record
// was written, which no crash explains, and Open fails with an error
// wrapping ErrCorrupt that names the file and the offset. A torn tail is
// cut off: the file is truncated to the last intact record and synced, and
// Truncated reports how many bytes went.
//
// The rule never mistakes a crash for corruption when the storage keeps
// synced data, since a torn write only damages the last, unsynced batch.
// Its limit is the other way round: damage inside the last batch that was
// synced (nothing written after it to vouch for it) looks like a torn tail
// and is cut. A payload crafted to hold a valid header for its own future
// offset could also pass for a later record; payloads here are the
// engine's own encodings. To stay linear on crafted files, the search for
// a later record checksums at most as many bytes as the file holds; if
// false headers use that up, Open reports ErrCorrupt rather than guess.
//
// Open reads the whole file into memory; it allocates in proportion to the
// file's size, never to a length read from it.
//
// Rewrite replaces the whole content atomically by writing the temporary
// file name+".tmp", syncing it and renaming it over the log; Open removes a
// temporary file a crash left behind.
//
// A Journal is not safe for concurrent use.
package journal

import (
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/syncsim/syncsim/engine/env"
)

// Errors the journal reports; test for them with errors.Is.
var (
	// ErrCorrupt is wrapped by Open's error when the log is damaged before
	// its last intact record.
	ErrCorrupt = errors.New("journal: corrupt record")
	// ErrTooLarge is wrapped when a record's payload exceeds MaxRecord.
	ErrTooLarge = errors.New("journal: record too large")
	// ErrClosed is returned by every call after Close.
	ErrClosed = errors.New("journal: closed")
)

// Journal is an open log.
type Journal struct {
	st      env.Storage
	name    string
	f       env.File
	durable int64  // end of the data made durable by the last successful Sync
	buf     []byte // records appended since, encoded to be written at durable
	cut     int64  // bytes of torn tail Open cut off
	err     error  // once closed or broken, what every call returns
}

// tmpName is the temporary file Rewrite writes for the log name.
func tmpName(name string) string { return name + ".tmp" }

// Open opens the log name on st, creating it empty if it does not exist,
// and returns it with every intact record in order. A torn tail is cut off
// (see Truncated); damage before the last intact record is an error
// wrapping ErrCorrupt.
func Open(st env.Storage, name string) (*Journal, [][]byte, error) {
	if name == "" {
		return nil, nil, errors.New("journal: open: empty log name")
	}
	if err := st.Remove(tmpName(name)); err != nil {
		return nil, nil, fmt.Errorf("journal %q: removing the temporary file of an unfinished rewrite: %w", name, err)
	}
	f, err := st.Open(name)
	if err != nil {
		return nil, nil, fmt.Errorf("journal %q: open: %w", name, err)
	}
	j := &Journal{st: st, name: name, f: f}
	records, err := j.recover()
	if err != nil {
		_ = f.Close() // the error that matters is err
		return nil, nil, err
	}
	return j, records, nil
}

// recover reads the file, cuts a torn tail, syncs and returns the records.
func (j *Journal) recover() ([][]byte, error) {
	size := j.f.Size()
	if size < 0 || size > math.MaxInt {
		return nil, fmt.Errorf("journal %q: the storage reports an impossible size %d", j.name, size)
	}
	b := make([]byte, size)
	if size > 0 {
		n, err := j.f.ReadAt(b, 0)
		if n < len(b) && err == nil {
			err = io.ErrUnexpectedEOF
		}
		if err != nil && !(n == len(b) && errors.Is(err, io.EOF)) {
			return nil, fmt.Errorf("journal %q: reading its %d bytes: %w", j.name, size, err)
		}
	}
	records, end, witness, exhausted := parse(b)
	switch {
	case witness >= 0:
		return nil, fmt.Errorf("journal %q: the record at offset %d is damaged, but the record at offset %d was written after it had been synced: %w",
			j.name, end, witness, ErrCorrupt)
	case exhausted:
		return nil, fmt.Errorf("journal %q: the record at offset %d is damaged, and too many record-like headers follow to tell a torn tail from corruption: %w",
			j.name, end, ErrCorrupt)
	}
	if end < len(b) {
		if err := j.f.Truncate(int64(end)); err != nil {
			return nil, fmt.Errorf("journal %q: cutting the torn tail at offset %d: %w", j.name, end, err)
		}
	}
	if err := j.f.Sync(); err != nil {
		return nil, fmt.Errorf("journal %q: sync after recovery: %w", j.name, err)
	}
	j.durable = int64(end)
	j.cut = size - int64(end)
	return records, nil
}

// Append buffers a record; it is written and made durable by the next
// successful Sync. The journal keeps its own copy of rec.
func (j *Journal) Append(rec []byte) error {
	if j.err != nil {
		return j.err
	}
	if len(rec) > MaxRecord {
		return fmt.Errorf("journal %q: append: a payload of %d bytes passes the maximum of %d: %w",
			j.name, len(rec), MaxRecord, ErrTooLarge)
	}
	j.buf = appendRecord(j.buf, j.durable+int64(len(j.buf)), j.durable, rec)
	return nil
}

// Sync writes the buffered records and syncs the file. Once it returns
// nil, every record appended so far is durable. If it fails, the records
// stay buffered and the next Sync writes them all again.
func (j *Journal) Sync() error {
	if j.err != nil {
		return j.err
	}
	if len(j.buf) == 0 {
		return nil
	}
	n, err := j.f.WriteAt(j.buf, j.durable)
	if err == nil && n < len(j.buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return fmt.Errorf("journal %q: writing %d bytes at offset %d: %w", j.name, len(j.buf), j.durable, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("journal %q: sync: %w", j.name, err)
	}
	j.durable += int64(len(j.buf))
	j.buf = j.buf[:0]
	return nil
}

// Size is the log's size in bytes, records buffered since the last Sync
// included.
func (j *Journal) Size() int64 { return j.durable + int64(len(j.buf)) }

// Truncated is the number of bytes of torn tail Open cut off the file.
func (j *Journal) Truncated() int64 { return j.cut }

// Close closes the file without syncing: records appended since the last
// successful Sync are dropped. Every later call returns ErrClosed.
func (j *Journal) Close() error {
	if errors.Is(j.err, ErrClosed) {
		return j.err
	}
	j.err = fmt.Errorf("journal %q: %w", j.name, ErrClosed)
	j.buf = nil
	if err := j.f.Close(); err != nil {
		return fmt.Errorf("journal %q: close: %w", j.name, err)
	}
	return nil
}
