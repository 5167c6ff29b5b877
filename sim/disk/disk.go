// Package disk is simulated durable storage with crash semantics: an
// implementation of the engine's env.Storage whose durability rules are
// explicit and whose failures are injected from a seeded random stream.
//
// # Model
//
// A Disk is a flat namespace of files. The namespace itself is always
// durable: Open (when it creates), Remove and Rename take effect on the
// durable state when they return, and Rename replaces its target atomically.
//
// Each file holds two things: its durable content, as of its last successful
// Sync, and the ordered list of its unsynced operations (writes and
// truncates) since then. Reads see the current content: the durable content
// with the unsynced operations applied in order. Sync applies the unsynced
// operations to the durable content and empties the list. A file keeps its
// content and its unsynced operations across a Rename: the name changes,
// not what is durable, so "write a temporary file, Sync, Rename" is an
// atomic replace, while renaming an unsynced file may leave the new name
// holding stale or empty content after a crash.
//
// # Crash
//
// Crash stops the disk as a power cut would. For every file in the
// namespace, in name order:
//   - with no unsynced operations, nothing changes;
//   - otherwise, with probability TornWriteRate the file is torn: a cut
//     point k is drawn uniformly in [0, n) over its n unsynced operations;
//     operations 0..k-1 become durable in full; operation k is torn: if it
//     is a write of m bytes, a prefix of uniform length in [0, m) of its
//     data becomes durable (a prefix of zero bytes changes nothing); if it
//     is a truncate, it is lost; operations after k are lost;
//   - otherwise the file reverts to its durable content.
//
// So data that was synced always survives, and unsynced data may survive in
// part, but only ever as a prefix of the operations in the order they were
// made. Files removed while open vanish. Every handle opened before the
// crash fails afterwards with an error wrapping ErrCrashed; the node opens
// its files again when it restarts.
//
// # Faults and records
//
// ReadAt, WriteAt, Truncate and Sync fail with an error wrapping ErrInjected
// at the rates given in Options; a failed call changes nothing. Randomness
// comes only from the rng.Stream given to New and is drawn only for a rate
// strictly between 0 and 1 or for a file being torn, so a disk with no
// faults draws nothing. Crashes, torn files and injected errors are
// recorded, each kind with its attributes in a fixed order; ordinary reads
// and writes are not:
//   - "disk.crash": files (in the namespace), unsynced (files with unsynced
//     operations), torn (files torn); then one "disk.torn" per torn file,
//     in name order;
//   - "disk.torn": file, cut, ops (unsynced operations), op ("write" or
//     "truncate", the operation at the cut), kept (bytes of it kept);
//   - "disk.error": op ("read", "write", "truncate" or "sync"), file, off,
//     len (for a truncate, off is the new size; for a sync, both are 0).
package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/sim/rng"
)

// Errors a Disk reports; test for them with errors.Is.
var (
	// ErrInjected marks an I/O error injected by the fault rates.
	ErrInjected = errors.New("disk: injected I/O error")
	// ErrCrashed is returned by every call on a handle opened before the
	// last Crash.
	ErrCrashed = errors.New("disk: handle opened before a crash")
	// ErrTooLarge is returned by a write or truncate past MaxFileSize.
	ErrTooLarge = errors.New("disk: file too large")
)

// Recorder receives the disk's events; *trace.Recorder implements it.
type Recorder interface {
	Record(t int64, node, kind string, attrs ...slog.Attr)
}

// Stats are a disk's sizes and fault counts.
type Stats struct {
	Files         int   // files in the namespace
	Bytes         int64 // current size of those files, summed
	DurableBytes  int64 // durable size of those files, summed
	UnsyncedBytes int64 // data held by their unsynced writes
	Crashes       int
	TornFiles     int // files torn by crashes
	ReadErrors    int // injected
	WriteErrors   int // injected, for WriteAt and Truncate
	SyncErrors    int // injected
}

// Disk is one node's simulated storage. It is not safe for concurrent use.
type Disk struct {
	rng   *rng.Stream
	node  string
	now   func() int64
	rec   Recorder
	opts  Options
	max   int64
	files map[string]*inode
	epoch int // incremented by Crash; handles of older epochs are dead
	stats Stats
}

var _ env.Storage = (*Disk)(nil)

// New returns an empty disk owned by node. Faults draw from r. rec, which
// may be nil, receives the disk's events stamped with now(); now may be nil
// only when rec is.
func New(r *rng.Stream, node string, now func() int64, rec Recorder, opts Options) (*Disk, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if r == nil {
		return nil, errors.New("disk: New: nil rng stream")
	}
	if rec != nil && now == nil {
		return nil, errors.New("disk: New: a recorder needs a clock (now is nil)")
	}
	return &Disk{
		rng: r, node: node, now: now, rec: rec, opts: opts,
		max: opts.maxFileSize(), files: make(map[string]*inode),
	}, nil
}

// Open opens the named file, creating it empty if it does not exist; the
// creation is durable at once. The returned handle implements env.File
// with the semantics of os.File's ReadAt and WriteAt (a read past the end
// returns io.EOF; a write past the end extends the file with zeros). Size
// returns 0 once the handle is closed or crashed.
func (d *Disk) Open(name string) (env.File, error) {
	if name == "" {
		return nil, fmt.Errorf("disk: open: empty file name: %w", fs.ErrInvalid)
	}
	ino := d.files[name]
	if ino == nil {
		ino = &inode{name: name}
		d.files[name] = ino
	}
	return &handle{d: d, ino: ino, epoch: d.epoch}, nil
}

// Remove deletes the named file, durably; removing a missing file is not an
// error. Handles open on it keep working on the orphaned file, whose data
// no longer belongs to any name and is gone at the next crash.
func (d *Disk) Remove(name string) error {
	delete(d.files, name)
	return nil
}

// Rename atomically and durably replaces newName with oldName's file,
// content and unsynced operations included. Handles follow the file.
func (d *Disk) Rename(oldName, newName string) error {
	ino := d.files[oldName]
	if ino == nil {
		return fmt.Errorf("disk: rename %q to %q: %w", oldName, newName, fs.ErrNotExist)
	}
	if newName == "" {
		return fmt.Errorf("disk: rename %q: empty target name: %w", oldName, fs.ErrInvalid)
	}
	if oldName == newName {
		return nil
	}
	delete(d.files, oldName)
	d.files[newName] = ino
	ino.name = newName
	return nil
}

// List returns the names of the files whose names start with prefix, sorted.
func (d *Disk) List(prefix string) ([]string, error) {
	var names []string
	for name := range d.files {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// Stats returns the disk's current sizes and fault counts so far.
func (d *Disk) Stats() Stats {
	st := d.stats
	st.Files = len(d.files)
	for _, ino := range d.files {
		st.Bytes += int64(len(ino.volatile))
		st.DurableBytes += int64(len(ino.durable))
		for _, op := range ino.pending {
			st.UnsyncedBytes += int64(len(op.data))
		}
	}
	return st
}

// record sends an event to the recorder, if any.
func (d *Disk) record(kind string, attrs ...slog.Attr) {
	if d.rec != nil {
		d.rec.Record(d.now(), d.node, kind, attrs...)
	}
}
