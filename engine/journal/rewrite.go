package journal

import (
	"fmt"
	"io"
)

// Rewrite atomically replaces the log's content with records, as a
// compaction or snapshot does; records appended and not yet synced are
// dropped with the old content. Once it returns nil the new content is
// durable; after a crash the log holds either the old content or the new,
// never a mix.
//
// If it fails before the new content is in place, the journal is unchanged
// and usable. If it fails after (the log could not be opened again), the
// new content is durable but the journal is broken: every later call but
// Close returns the error, and the log must be opened again.
func (j *Journal) Rewrite(records [][]byte) error {
	if j.err != nil {
		return j.err
	}
	size := 0
	for i, r := range records {
		if len(r) > MaxRecord {
			return fmt.Errorf("journal %q: rewrite: record %d of %d bytes passes the maximum of %d: %w",
				j.name, i, len(r), MaxRecord, ErrTooLarge)
		}
		size += headerSize + len(r)
	}
	content := make([]byte, 0, size)
	for _, r := range records {
		content = appendRecord(content, int64(len(content)), 0, r)
	}
	tmp := tmpName(j.name)
	if err := j.writeFile(tmp, content); err != nil {
		return fmt.Errorf("journal %q: rewrite: %w", j.name, err)
	}
	if err := j.st.Rename(tmp, j.name); err != nil {
		return fmt.Errorf("journal %q: rewrite: %w", j.name, err)
	}
	f, err := j.st.Open(j.name)
	if err != nil {
		j.err = fmt.Errorf("journal %q: broken by a rewrite that could not open the new log; open it again: %w", j.name, err)
		return j.err
	}
	// The old handle's file is no longer the log; how closing it goes
	// does not matter.
	_ = j.f.Close()
	j.f = f
	j.durable = int64(len(content))
	j.buf = j.buf[:0]
	return nil
}

// writeFile makes name a new file holding content, synced.
func (j *Journal) writeFile(name string, content []byte) error {
	// A temporary file left by a failed rewrite may be longer than content.
	if err := j.st.Remove(name); err != nil {
		return fmt.Errorf("removing the old %q: %w", name, err)
	}
	f, err := j.st.Open(name)
	if err != nil {
		return fmt.Errorf("creating %q: %w", name, err)
	}
	n, err := f.WriteAt(content, 0)
	if err == nil && n < len(content) {
		err = io.ErrShortWrite
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %d bytes to %q: %w", len(content), name, err)
	}
	return nil
}
