package disk

import (
	"log/slog"
	"slices"
)

// tear is what a crash kept of one file's unsynced operations.
type tear struct {
	file string
	cut  int    // operations before cut became durable in full
	ops  int    // unsynced operations the file had
	kind string // "write" or "truncate": the operation at cut
	kept int    // bytes of the write at cut that became durable
}

// Crash stops the disk as a power cut would: each file keeps its durable
// content, or, if torn, its durable content with a prefix of its unsynced
// operations applied (see the package comment). Every handle opened before
// the crash is dead afterwards.
func (d *Disk) Crash() {
	d.epoch++
	d.stats.Crashes++
	names := make([]string, 0, len(d.files))
	for name := range d.files {
		names = append(names, name)
	}
	slices.Sort(names)
	var tears []tear
	unsynced := 0
	for _, name := range names {
		ino := d.files[name]
		if len(ino.pending) > 0 {
			unsynced++
			if d.rng.Chance(d.opts.TornWriteRate) {
				tears = append(tears, ino.tear(d.rng.IntN))
			}
		}
		ino.revert()
	}
	d.stats.TornFiles += len(tears)
	d.record("disk.crash",
		slog.Int("files", len(names)), slog.Int("unsynced", unsynced), slog.Int("torn", len(tears)))
	for _, t := range tears {
		d.record("disk.torn",
			slog.String("file", t.file), slog.Int("cut", t.cut), slog.Int("ops", t.ops),
			slog.String("op", t.kind), slog.Int("kept", t.kept))
	}
}

// tear makes a random prefix of the pending operations durable: those
// before a cut drawn in [0, len(pending)) in full, and of the operation at
// the cut, if a write, a prefix of its data drawn in [0, len(data)).
// intN draws a uniform int in [0, n).
func (ino *inode) tear(intN func(n int) int) tear {
	t := tear{file: ino.name, cut: intN(len(ino.pending)), ops: len(ino.pending), kind: "truncate"}
	for _, o := range ino.pending[:t.cut] {
		ino.durable = o.apply(ino.durable)
	}
	if o := ino.pending[t.cut]; o.data != nil {
		t.kind = "write"
		t.kept = intN(len(o.data))
		if t.kept > 0 {
			o.data = o.data[:t.kept]
			ino.durable = o.apply(ino.durable)
		}
	}
	return t
}

// revert drops the unsynced operations: the content is the durable one.
func (ino *inode) revert() {
	ino.volatile = append(ino.volatile[:0], ino.durable...)
	ino.pending = nil
	ino.cost = 0
}
