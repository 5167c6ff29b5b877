package server

import (
	"fmt"
	"hash/fnv"
	"slices"
	"sort"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/journal"
	"github.com/syncsim/syncsim/engine/merge"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// realm is one realm's server side: its history, state, client files and
// the sessions bound to it.
type realm struct {
	s    *Server
	path string
	content
	salt     uint64 // the salt of the current history epoch
	epoch    uint64 // epochs begun since the first (restores, re-enables); the salt derives from it
	nextFile uint64 // the last client file ident issued, in any epoch
	durable  uint64 // server versions <= durable are on disk
	appended uint64 // journal records appended since the realm was opened
	synced   uint64 // of which durable
	journal  *journal.Journal
	sessions []*session
	retry    env.Timer // pending retry of a failed journal sync
}

// content is what a backup of a realm holds and a restore brings back:
// the epoch's history, the state it builds from nothing, the client files
// and the realm's sync settings.
type content struct {
	entries []entry
	state   *store.State
	files   map[uint64]*file
	// epochStart is the last client file ident issued before the epoch
	// began: a file ident up to it that is unknown belongs to an earlier
	// epoch.
	epochStart uint64
	// breaking: the epoch was begun by a breaking schema change.
	breaking bool
	// terminated: sync is off. pendingBreaking: a breaking schema change
	// was made while it was off; the epoch Enable begins is breaking.
	terminated, pendingBreaking bool
	// declared is the server's schema for the realm; nil: anything goes.
	declared *schema.Schema
	// floor is the compacted history's floor: download cursors and upload
	// bases in (0, floor) are too old to serve.
	floor uint64
	// index is entries by what they touch, built as needed; nil: none yet.
	index *objIndex
}

// entry is one changeset of the history; entries[i] is server version i+1.
type entry struct {
	cs     *changeset.Changeset // as integrated (transformed)
	origin uint64               // the client file it came from; 0: made by the server
	at     env.Time             // when it was integrated
	size   int                  // its encoded size, for download progress
	cum    uint64               // the sizes of entries up to and including it
}

// cumBytes is the encoded size of the history up to version v.
func (r *realm) cumBytes(v uint64) uint64 {
	if v == 0 {
		return 0
	}
	return r.entries[v-1].cum
}

// file is the server's record of one client file (replica).
type file struct {
	ident uint64
	salt  uint64
	// role is the role its user had when the file was created.
	role string
	// integrated lists the file's changesets in the history: server
	// version and client version, both increasing.
	integrated []integration
	// recip holds, by server version, the reciprocal forms of history
	// entries from other files: the entry transformed past this file's
	// changesets that were concurrent with it. It is sparse: the versions
	// it holds are those of the other files in (recipLo, recipHi] and its
	// own keys, and a version of the range it has no value for holds the
	// entry as it is (a transform it did not overlap left it unchanged).
	// See recipAt and recipVersions.
	recip            map[uint64]*changeset.Changeset
	recipLo, recipHi uint64
	lastSeen         env.Time
	// expired: not seen for longer than the history TTL when the history
	// was compacted; the file can never sync again.
	expired bool
}

type integration struct {
	serverVersion uint64
	cursor        protocol.UploadCursor // client version and its base
	cum           uint64                // the sizes of the file's entries up to this one
}

// ownBytes is the encoded size of the file's own entries up to version v.
func (f *file) ownBytes(v uint64) uint64 {
	i := sort.Search(len(f.integrated), func(i int) bool { return f.integrated[i].serverVersion > v })
	if i == 0 {
		return 0
	}
	return f.integrated[i-1].cum
}

// latest is the file's last integrated changeset as of server version
// version: its client version and base.
func (f *file) latest(version uint64) protocol.UploadCursor {
	i := sort.Search(len(f.integrated), func(i int) bool { return f.integrated[i].serverVersion > version })
	if i == 0 {
		return protocol.UploadCursor{}
	}
	return f.integrated[i-1].cursor
}

// lastClientVersion is the file's last integrated client version overall.
func (f *file) lastClientVersion() uint64 {
	if n := len(f.integrated); n > 0 {
		return f.integrated[n-1].cursor.ClientVersion
	}
	return 0
}

func openRealm(s *Server, path string) (*realm, error) {
	r := &realm{s: s, path: path, salt: s.epochSalt(path, 0), content: emptyContent()}
	j, recs, err := journal.Open(s.st, realmFileName(path))
	if err != nil {
		return nil, err
	}
	r.journal = j
	for i, rec := range recs {
		if err := r.replay(rec); err != nil {
			return nil, fmt.Errorf("journal record %d: %w", i+1, err)
		}
	}
	r.durable = r.latestVersion()
	return r, nil
}

func emptyContent() content {
	return content{state: store.New(), files: map[uint64]*file{}}
}

// epochSalt is the salt of a realm's history epoch: derived from the
// server's identity, the realm's path and the epoch's number, so that it is
// the same on every run and differs for every epoch, realm and server.
func (s *Server) epochSalt(path string, epoch uint64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(path))
	return mix(mix(h.Sum64()^s.admin.identity) + epoch)
}

// newEpoch begins a new history epoch: a new salt.
func (r *realm) newEpoch() {
	r.epoch++
	r.salt = r.s.epochSalt(r.path, r.epoch)
}

// mix scrambles x (splitmix64's finaliser); salts derived through it
// differ for every input.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (r *realm) latestVersion() uint64 { return uint64(len(r.entries)) }

// newFile allocates a client file ident with its salt, for a user with
// the given role.
func (r *realm) newFile(role string, at env.Time) *file {
	r.nextFile++
	f := &file{ident: r.nextFile, salt: mix(r.salt ^ r.nextFile), role: role,
		recip: map[uint64]*changeset.Changeset{}, lastSeen: at}
	r.files[f.ident] = f
	return f
}

// integrate transforms cs, made by file f on server version
// cs.LastIntegratedServerVersion, past the history entries f had not seen,
// applies it, and appends it to the history; it returns the changeset as
// integrated. On error nothing changed.
func (r *realm) integrate(f *file, cs *changeset.Changeset, at env.Time) (*changeset.Changeset, error) {
	base := cs.LastIntegratedServerVersion
	latest := r.latestVersion()
	vs := r.overlapping(f, cs, base)
	theirs := make([]*changeset.Changeset, len(vs))
	for i, v := range vs {
		theirs[i] = r.recipAt(f, v)
	}
	bound := r.s.opts.MaxTransformInstructions
	switch {
	case bound == 0:
		bound = defaultMaxTransform
	case bound < 0:
		bound = 0
	}
	ours2, theirs2, err := merge.TransformSeqBounded([]*changeset.Changeset{cs}, theirs, r.s.opts.Mutants, bound)
	if err != nil {
		return nil, err
	}
	c2 := ours2[0]
	if err := r.state.Apply(c2); err != nil {
		return nil, err
	}
	for i, v := range vs {
		if theirs2[i] != theirs[i] {
			f.recip[v] = theirs2[i]
		}
	}
	// The versions of the other files in (base, latest] now hold their
	// reciprocal forms; those up to base are dropped: later changesets of
	// f have bases >= base.
	// The keys are all above f.recipLo (dropped at the last integration,
	// or none since the map was cleared or restored with recipLo 0), so
	// the shorter of the range and the map is walked.
	switch lo := f.recipLo; {
	case len(f.recip) == 0 || base <= lo:
	case base-lo < uint64(len(f.recip)):
		for v := lo + 1; v <= base; v++ {
			delete(f.recip, v)
		}
	default:
		for v := range f.recip {
			if v <= base {
				delete(f.recip, v)
			}
		}
	}
	f.recipLo, f.recipHi = base, latest
	r.appendEntry(c2, f.ident, at)
	f.integrated = append(f.integrated, integration{
		serverVersion: r.latestVersion(),
		cursor:        protocol.UploadCursor{ClientVersion: cs.Version, LastIntegratedServerVersion: base},
		cum:           f.ownBytes(latest) + uint64(r.entries[latest].size),
	})
	f.lastSeen = max(f.lastSeen, at)
	if o := r.s.opts.Observer; o != nil {
		o.Integrated(r.path, r.latestVersion(), f.ident, cs.Version)
	}
	return c2, nil
}

// appendServer applies a changeset the server made (origin file ident 0)
// and appends it to the history. On error nothing changed.
func (r *realm) appendServer(cs *changeset.Changeset, at env.Time) error {
	if cs.OriginFileIdent != 0 {
		return fmt.Errorf("%w: a server-made changeset with origin file %d", errRecord, cs.OriginFileIdent)
	}
	if err := r.state.Apply(cs); err != nil {
		return err
	}
	r.appendEntry(cs, 0, at)
	if o := r.s.opts.Observer; o != nil {
		o.Integrated(r.path, r.latestVersion(), 0, cs.Version)
	}
	return nil
}

// appendEntry appends an applied changeset to the history.
func (r *realm) appendEntry(cs *changeset.Changeset, origin uint64, at env.Time) {
	size := len(changeset.Encode(cs))
	r.entries = append(r.entries, entry{cs: cs, origin: origin, at: at, size: size,
		cum: r.cumBytes(r.latestVersion()) + uint64(size)})
}

// State is the realm's current state (read only), for tests and checks.
func (s *Server) State(path string) (*store.State, bool) {
	r, ok := s.realms[path]
	if !ok {
		return nil, false
	}
	return r.state, true
}

// defaultMaxTransform is the default of Options.MaxTransformInstructions.
const defaultMaxTransform = 1_000_000

// recipAt is the reciprocal form for file f of history entry v: the entry
// transformed past f's changesets concurrent with it.
func (r *realm) recipAt(f *file, v uint64) *changeset.Changeset {
	if c := f.recip[v]; c != nil {
		return c
	}
	return r.entries[v-1].cs
}

// recipVersions lists the server versions f holds reciprocal forms for, in
// order: those of the other files in (f.recipLo, f.recipHi] and the keys
// of f.recip.
func (r *realm) recipVersions(f *file) []uint64 {
	var vs []uint64
	for v := f.recipLo + 1; v <= f.recipHi; v++ {
		if r.entries[v-1].origin != f.ident || f.recip[v] != nil {
			vs = append(vs, v)
		}
	}
	for v := range f.recip {
		if v <= f.recipLo || v > f.recipHi {
			vs = append(vs, v)
		}
	}
	slices.Sort(vs)
	return vs
}

// clearRecip drops all of f's reciprocal forms.
func (f *file) clearRecip() {
	f.recip = map[uint64]*changeset.Changeset{}
	f.recipLo, f.recipHi = 0, 0
}

// overlapping lists the history entries after version base, other than
// file f's, that cs may overlap (see merge.Interact), in order: the others
// the transform would leave unchanged, and cs too.
func (r *realm) overlapping(f *file, cs *changeset.Changeset, base uint64) []uint64 {
	x := r.objIndex()
	var vs []uint64
	add := func(list []uint64) {
		i, _ := slices.BinarySearch(list, base+1)
		vs = append(vs, list[i:]...)
	}
	for k := range cs.Instructions {
		in := &cs.Instructions[k]
		if classWide(in.Op) {
			add(x.class[in.Class])
			continue
		}
		add(x.obj[objKey{in.Class, in.PK}])
		add(x.wide[in.Class])
	}
	slices.Sort(vs)
	vs = slices.Compact(vs)
	k := 0
	for _, v := range vs {
		if r.entries[v-1].origin != f.ident {
			vs[k] = v
			k++
		}
	}
	return vs[:k]
}

// objIndex lists the history's versions by what they touch, for
// overlapping.
type objIndex struct {
	n     int                 // entries indexed
	obj   map[objKey][]uint64 // by object: the versions with an instruction on it
	class map[string][]uint64 // by class: the versions with any instruction in it
	wide  map[string][]uint64 // by class: the versions with a table or column op in it
}

type objKey struct {
	class string
	pk    changeset.PK
}

func classWide(o changeset.Op) bool {
	return o == changeset.AddTable || o == changeset.EraseTable || o == changeset.AddColumn || o == changeset.EraseColumn
}

// objIndex returns the index of the history, brought up to date.
func (r *realm) objIndex() *objIndex {
	x := r.index
	if x == nil || x.n > len(r.entries) {
		x = &objIndex{obj: map[objKey][]uint64{}, class: map[string][]uint64{}, wide: map[string][]uint64{}}
		r.index = x
	}
	for ; x.n < len(r.entries); x.n++ {
		v := uint64(x.n + 1)
		cs := r.entries[x.n].cs
		for k := range cs.Instructions {
			in := &cs.Instructions[k]
			x.class[in.Class] = addVersion(x.class[in.Class], v)
			if classWide(in.Op) {
				x.wide[in.Class] = addVersion(x.wide[in.Class], v)
			} else {
				key := objKey{in.Class, in.PK}
				x.obj[key] = addVersion(x.obj[key], v)
			}
		}
	}
	return x
}

func addVersion(list []uint64, v uint64) []uint64 {
	if n := len(list); n > 0 && list[n-1] == v {
		return list
	}
	return append(list, v)
}
