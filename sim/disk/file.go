package disk

import (
	"fmt"
	"io"
	"io/fs"
	"log/slog"
)

// op is one unsynced operation: a write of data at off, or (data == nil) a
// truncate to size.
type op struct {
	off  int64
	data []byte
	size int64
}

// cost is what op counts against MaxFileSize while unsynced.
func (o op) cost() int64 { return int64(len(o.data)) + opOverhead }

// inode is a file's content, independent of the name it has.
type inode struct {
	name     string // current name, for records
	durable  []byte // content as of the last Sync
	volatile []byte // durable with pending applied: what reads see
	pending  []op   // unsynced operations, oldest first
	cost     int64  // sum of pending costs
}

// apply performs o on b and returns the result.
func (o op) apply(b []byte) []byte {
	if o.data == nil {
		return resize(b, o.size)
	}
	if end := o.off + int64(len(o.data)); end > int64(len(b)) {
		b = resize(b, end)
	}
	copy(b[o.off:], o.data)
	return b
}

// resize returns b with length n; bytes beyond the old length are zero.
func resize(b []byte, n int64) []byte {
	old := int64(len(b))
	if n <= old {
		return b[:n]
	}
	if n <= int64(cap(b)) {
		b = b[:n]
		clear(b[old:])
		return b
	}
	return append(b, make([]byte, n-old)...)
}

// log applies o to the volatile content and keeps it as unsynced.
func (ino *inode) log(o op) {
	ino.volatile = o.apply(ino.volatile)
	ino.pending = append(ino.pending, o)
	ino.cost += o.cost()
}

// sync makes every pending operation durable.
func (ino *inode) sync() {
	for _, o := range ino.pending {
		ino.durable = o.apply(ino.durable)
	}
	ino.pending = nil
	ino.cost = 0
}

// handle is an open file: an inode seen through one Open call.
type handle struct {
	d      *Disk
	ino    *inode
	epoch  int
	closed bool
}

// check returns why the handle cannot be used, if it cannot.
func (h *handle) check(what string) error {
	switch {
	case h.epoch != h.d.epoch:
		return fmt.Errorf("disk: %s %q: %w", what, h.ino.name, ErrCrashed)
	case h.closed:
		return fmt.Errorf("disk: %s %q: %w", what, h.ino.name, fs.ErrClosed)
	}
	return nil
}

// fault reports, and records, whether an injected error at rate p fires.
func (h *handle) fault(p float64, what string, off int64, n int, count *int) error {
	if !h.d.rng.Chance(p) {
		return nil
	}
	*count++
	h.d.record("disk.error",
		slog.String("op", what), slog.String("file", h.ino.name),
		slog.Int64("off", off), slog.Int("len", n))
	return fmt.Errorf("disk: %s %q at offset %d (%d bytes): %w", what, h.ino.name, off, n, ErrInjected)
}

// ReadAt reads len(p) bytes at off from the current content. Fewer bytes
// come with io.EOF.
func (h *handle) ReadAt(p []byte, off int64) (int, error) {
	if err := h.check("read"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("disk: read %q: negative offset %d: %w", h.ino.name, off, fs.ErrInvalid)
	}
	if err := h.fault(h.d.opts.ReadErrorRate, "read", off, len(p), &h.d.stats.ReadErrors); err != nil {
		return 0, err
	}
	b := h.ino.volatile
	if off >= int64(len(b)) {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes p at off, extending the file with zeros if off is past
// its end. The write is unsynced until Sync; an empty write does nothing.
func (h *handle) WriteAt(p []byte, off int64) (int, error) {
	if err := h.check("write"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("disk: write %q: negative offset %d: %w", h.ino.name, off, fs.ErrInvalid)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off > h.d.max-int64(len(p)) {
		return 0, fmt.Errorf("disk: write %q: %d bytes at offset %d pass the maximum file size %d: %w",
			h.ino.name, len(p), off, h.d.max, ErrTooLarge)
	}
	o := op{off: off, data: append([]byte(nil), p...)}
	if err := h.checkCost(o); err != nil {
		return 0, err
	}
	if err := h.fault(h.d.opts.WriteErrorRate, "write", off, len(p), &h.d.stats.WriteErrors); err != nil {
		return 0, err
	}
	h.ino.log(o)
	return len(p), nil
}

// Truncate sets the file's size, cutting or zero-extending it; unsynced
// until Sync.
func (h *handle) Truncate(size int64) error {
	if err := h.check("truncate"); err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("disk: truncate %q: negative size %d: %w", h.ino.name, size, fs.ErrInvalid)
	}
	if size > h.d.max {
		return fmt.Errorf("disk: truncate %q to %d: past the maximum file size %d: %w", h.ino.name, size, h.d.max, ErrTooLarge)
	}
	o := op{size: size}
	changes := size != int64(len(h.ino.volatile))
	if changes {
		if err := h.checkCost(o); err != nil {
			return err
		}
	}
	// The record's off is the new size.
	if err := h.fault(h.d.opts.WriteErrorRate, "truncate", size, 0, &h.d.stats.WriteErrors); err != nil {
		return err
	}
	if changes {
		h.ino.log(o)
	}
	return nil
}

// checkCost refuses o if the file's unsynced operations would pass the
// maximum file size with it.
func (h *handle) checkCost(o op) error {
	if h.ino.cost+o.cost() > h.d.max {
		return fmt.Errorf("disk: %q: unsynced operations would hold more than the maximum file size %d; Sync first: %w",
			h.ino.name, h.d.max, ErrTooLarge)
	}
	return nil
}

// Size is the current size, or 0 once the handle is closed or crashed.
func (h *handle) Size() int64 {
	if h.check("size") != nil {
		return 0
	}
	return int64(len(h.ino.volatile))
}

// Sync makes every operation on the file so far durable, unless it fails.
func (h *handle) Sync() error {
	if err := h.check("sync"); err != nil {
		return err
	}
	if err := h.fault(h.d.opts.SyncErrorRate, "sync", 0, 0, &h.d.stats.SyncErrors); err != nil {
		return err
	}
	h.ino.sync()
	return nil
}

// Close releases the handle; it does not sync.
func (h *handle) Close() error {
	if err := h.check("close"); err != nil {
		return err
	}
	h.closed = true
	return nil
}
