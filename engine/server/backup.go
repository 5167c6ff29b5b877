package server

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/journal"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/engine/wire"
)

// A backup is a file of records, written atomically (journal.Rewrite):
//
//	meta   epochStart, flags (breaking, terminated, pendingBreaking),
//	       floor, nextFile, entry count, file count, and the declared
//	       schema if any (as a changeset of AddTable/AddColumn)
//	entry  origin, time, the changeset as integrated (one per version, in order)
//	file   ident, salt, role, last seen, expired, then each integrated
//	       changeset's server version, client version and base
//	recip  file ident, server version, the reciprocal form
//
// The state is not stored: the history builds it from nothing (a new
// epoch's history begins with a changeset that creates its state).
const (
	backupFilePrefix = "backup-"

	backupMagic   byte = 'B'
	backupVersion byte = 1

	snapMeta  byte = 1
	snapEntry byte = 2
	snapFile  byte = 3
	snapRecip byte = 4
)

// backup is a realm's content loaded from a backup file.
type backup struct {
	content
	nextFile uint64
}

func backupFilePrefixOf(path string) string {
	return backupFilePrefix + url.QueryEscape(path) + "-"
}

func backupFileName(path string, n uint64) string {
	return backupFilePrefixOf(path) + strconv.FormatUint(n, 10) + realmFileSuffix
}

// backups lists the numbers of the realm's backups, in increasing order.
func (s *Server) backups(path string) ([]uint64, error) {
	prefix := backupFilePrefixOf(path)
	names, err := s.st.List(prefix)
	if err != nil {
		return nil, fmt.Errorf("server: listing the backups of %q: %w", path, err)
	}
	var ns []uint64
	for _, name := range names {
		digits, ok := strings.CutSuffix(strings.TrimPrefix(name, prefix), realmFileSuffix)
		if n, err := strconv.ParseUint(digits, 10, 64); ok && err == nil && n > 0 {
			ns = append(ns, n)
		}
	}
	slices.Sort(ns)
	return ns, nil
}

func snapRecord(kind byte) []byte {
	return append(wire.AppendHeader(nil, backupMagic, backupVersion), kind)
}

// snapshot returns the records of a backup of the realm's content.
func (r *realm) snapshot() [][]byte {
	meta := wire.AppendUvarint(snapRecord(snapMeta), r.epochStart)
	meta = wire.AppendBool(meta, r.breaking)
	meta = wire.AppendBool(meta, r.terminated)
	meta = wire.AppendBool(meta, r.pendingBreaking)
	meta = wire.AppendUvarint(meta, r.floor)
	meta = wire.AppendUvarint(meta, r.nextFile)
	meta = wire.AppendUvarint(meta, uint64(len(r.entries)))
	meta = wire.AppendUvarint(meta, uint64(len(r.files)))
	meta = wire.AppendBool(meta, r.declared != nil)
	if r.declared != nil {
		meta = changeset.AppendBinary(meta, &changeset.Changeset{Instructions: store.SchemaInstructions(*r.declared)})
	}
	recs := [][]byte{meta}
	for _, e := range r.entries {
		b := wire.AppendUvarint(snapRecord(snapEntry), e.origin)
		recs = append(recs, changeset.AppendBinary(appendTime(b, e.at), e.cs))
	}
	idents := sortedKeys(r.files)
	for _, id := range idents {
		f := r.files[id]
		b := wire.AppendUvarint(snapRecord(snapFile), f.ident)
		b = wire.AppendUvarint(b, f.salt)
		b = wire.AppendString(b, f.role)
		b = appendTime(b, f.lastSeen)
		b = wire.AppendBool(b, f.expired)
		b = wire.AppendUvarint(b, uint64(len(f.integrated)))
		for _, in := range f.integrated {
			b = wire.AppendUvarint(b, in.serverVersion)
			b = wire.AppendUvarint(b, in.cursor.ClientVersion)
			b = wire.AppendUvarint(b, in.cursor.LastIntegratedServerVersion)
		}
		recs = append(recs, b)
	}
	for _, id := range idents {
		f := r.files[id]
		for _, v := range r.recipVersions(f) {
			b := wire.AppendUvarint(wire.AppendUvarint(snapRecord(snapRecip), id), v)
			recs = append(recs, changeset.AppendBinary(b, r.recipAt(f, v)))
		}
	}
	return recs
}

// loadBackup reads and checks backup number n of the realm.
func (r *realm) loadBackup(n uint64) (*backup, error) {
	name := backupFileName(r.path, n)
	names, err := r.s.st.List(name)
	if err != nil {
		return nil, fmt.Errorf("looking for backup %d: %w", n, err)
	}
	if !slices.Contains(names, name) {
		return nil, fmt.Errorf("realm %q has no backup %d", r.path, n)
	}
	j, recs, err := journal.Open(r.s.st, name)
	if err != nil {
		return nil, fmt.Errorf("backup %d: %w", n, err)
	}
	_ = j.Close() // read only: nothing to lose
	b, err := decodeBackup(recs)
	if err != nil {
		return nil, fmt.Errorf("backup %d: %w", n, err)
	}
	return b, nil
}

// decodeBackup rebuilds a realm's content from a backup's records,
// checking that they fit together.
func decodeBackup(recs [][]byte) (*backup, error) {
	if len(recs) == 0 {
		return nil, fmt.Errorf("%w: an empty backup", errRecord)
	}
	b := &backup{content: emptyContent()}
	var nEntries, nFiles uint64
	for i, rec := range recs {
		d := wire.NewDecoder(rec)
		d.Header("backup record", backupMagic, backupVersion)
		kind := d.Byte("backup record kind")
		var err error
		switch {
		case i == 0 && kind == snapMeta:
			nEntries, nFiles, err = b.decodeMeta(&d)
		case i > 0 && kind == snapEntry:
			err = b.decodeEntry(&d)
		case i > 0 && kind == snapFile:
			err = b.decodeFile(&d)
		case i > 0 && kind == snapRecip:
			err = b.decodeRecip(&d)
		default:
			err = fmt.Errorf("%w: a record of kind %d", errRecord, kind)
		}
		if err == nil {
			d.End("backup record")
			err = d.Err()
		}
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", i+1, err)
		}
	}
	if uint64(len(b.entries)) != nEntries || uint64(len(b.files)) != nFiles {
		return nil, fmt.Errorf("%w: %d entries and %d files, the backup's header says %d and %d",
			errRecord, len(b.entries), len(b.files), nEntries, nFiles)
	}
	return b, nil
}

func (b *backup) decodeMeta(d *wire.Decoder) (nEntries, nFiles uint64, err error) {
	b.epochStart = d.Uvarint("epoch start")
	b.breaking, b.terminated, b.pendingBreaking = d.Bool("breaking"), d.Bool("terminated"), d.Bool("pending breaking")
	b.floor, b.nextFile = d.Uvarint("floor"), d.Uvarint("next file")
	nEntries, nFiles = d.Uvarint("entry count"), d.Uvarint("file count")
	if d.Bool("declared schema") {
		var cs changeset.Changeset
		changeset.DecodeFrom(d, &cs)
		if d.Err() != nil {
			return 0, 0, d.Err()
		}
		sch, err := schemaOf(cs.Instructions)
		if err != nil {
			return 0, 0, err
		}
		b.declared = &sch
	}
	if err := d.Err(); err != nil {
		return 0, 0, err
	}
	if b.floor > nEntries || b.epochStart > b.nextFile {
		return 0, 0, fmt.Errorf("%w: floor %d of %d entries, epoch start %d of %d files", errRecord, b.floor, nEntries, b.epochStart, b.nextFile)
	}
	return nEntries, nFiles, nil
}

func (b *backup) decodeEntry(d *wire.Decoder) error {
	origin, at := d.Uvarint("origin"), env.Time(d.Varint("time"))
	cs := new(changeset.Changeset)
	changeset.DecodeFrom(d, cs)
	if err := d.Err(); err != nil {
		return err
	}
	if len(b.files) > 0 {
		return fmt.Errorf("%w: a history entry after the files", errRecord)
	}
	if err := b.state.Apply(cs); err != nil {
		return fmt.Errorf("version %d: %w", len(b.entries)+1, err)
	}
	size := len(changeset.Encode(cs))
	var cum uint64
	if n := len(b.entries); n > 0 {
		cum = b.entries[n-1].cum
	}
	b.entries = append(b.entries, entry{cs: cs, origin: origin, at: at, size: size, cum: cum + uint64(size)})
	return nil
}

func (b *backup) decodeFile(d *wire.Decoder) error {
	f := &file{ident: d.Uvarint("ident"), salt: d.Uvarint("salt"), role: d.String("role"),
		lastSeen: env.Time(d.Varint("last seen")), expired: d.Bool("expired"), recip: map[uint64]*changeset.Changeset{}}
	n := d.Count("integrated count", 3)
	var cum uint64
	for range n {
		in := integration{serverVersion: d.Uvarint("server version"),
			cursor: protocol.UploadCursor{ClientVersion: d.Uvarint("client version"), LastIntegratedServerVersion: d.Uvarint("base")}}
		if d.Err() != nil {
			break
		}
		last := f.latest(in.serverVersion)
		switch {
		case in.serverVersion == 0 || in.serverVersion > uint64(len(b.entries)) || b.entries[in.serverVersion-1].origin != f.ident:
			return fmt.Errorf("%w: file %d integrated at server version %d, which is not its", errRecord, f.ident, in.serverVersion)
		case len(f.integrated) > 0 && (in.serverVersion <= f.integrated[len(f.integrated)-1].serverVersion || in.cursor.ClientVersion <= last.ClientVersion):
			return fmt.Errorf("%w: file %d's integrated changesets out of order", errRecord, f.ident)
		}
		cum += uint64(b.entries[in.serverVersion-1].size)
		in.cum = cum
		f.integrated = append(f.integrated, in)
	}
	if err := d.Err(); err != nil {
		return err
	}
	if f.ident == 0 || b.files[f.ident] != nil || f.ident > b.nextFile {
		return fmt.Errorf("%w: file ident %d twice, or 0, or past %d", errRecord, f.ident, b.nextFile)
	}
	b.files[f.ident] = f
	return nil
}

func (b *backup) decodeRecip(d *wire.Decoder) error {
	ident, v := d.Uvarint("file ident"), d.Uvarint("server version")
	cs := new(changeset.Changeset)
	changeset.DecodeFrom(d, cs)
	if err := d.Err(); err != nil {
		return err
	}
	f := b.files[ident]
	if f == nil || v == 0 || v > uint64(len(b.entries)) {
		return fmt.Errorf("%w: a reciprocal form of file %d at server version %d", errRecord, ident, v)
	}
	f.recip[v] = cs
	return nil
}
