package server

import (
	"fmt"
	"hash/fnv"
	"sort"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/journal"
	"github.com/syncsim/syncsim/engine/merge"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/store"
)

// realm is one realm's server side: its history, state, client files and
// the sessions bound to it.
type realm struct {
	s        *Server
	path     string
	salt     uint64 // the salt of the current history epoch
	entries  []entry
	state    *store.State
	files    map[uint64]*file
	nextFile uint64
	durable  uint64 // server versions <= durable are on disk
	appended uint64 // journal records appended since the realm was opened
	synced   uint64 // of which durable
	journal  *journal.Journal
	sessions []*session
	retry    env.Timer // pending retry of a failed journal sync
}

// entry is one changeset of the history; entries[i] is server version i+1.
type entry struct {
	cs     *changeset.Changeset // as integrated (transformed)
	origin uint64               // the client file it came from
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
	// integrated lists the file's changesets in the history: server
	// version and client version, both increasing.
	integrated []integration
	// recip holds, by server version, the reciprocal forms of history
	// entries from other files: the entry transformed past this file's
	// changesets that were concurrent with it.
	recip    map[uint64]*changeset.Changeset
	lastSeen env.Time
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
	r := &realm{s: s, path: path, salt: initialSalt(path), state: store.New(), files: map[uint64]*file{}}
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

// initialSalt is the salt of a realm's first epoch: derived from its
// path, so that it is the same on every run.
func initialSalt(path string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(path))
	return mix(h.Sum64())
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

// newFile allocates a client file ident with its salt.
func (r *realm) newFile() *file {
	r.nextFile++
	f := &file{ident: r.nextFile, salt: mix(r.salt ^ r.nextFile), recip: map[uint64]*changeset.Changeset{}}
	r.files[f.ident] = f
	return f
}

// integrate transforms cs, made by file f on server version
// cs.LastIntegratedServerVersion, past the history entries f had not seen,
// applies it, and appends it to the history. On error nothing changed.
func (r *realm) integrate(f *file, cs *changeset.Changeset) error {
	base := cs.LastIntegratedServerVersion
	latest := r.latestVersion()
	var theirs []*changeset.Changeset
	var at []uint64
	for v := base + 1; v <= latest; v++ {
		e := &r.entries[v-1]
		if e.origin == f.ident {
			continue
		}
		c := f.recip[v]
		if c == nil {
			c = e.cs
		}
		theirs = append(theirs, c)
		at = append(at, v)
	}
	ours2, theirs2, err := merge.TransformSeq([]*changeset.Changeset{cs}, theirs)
	if err != nil {
		return err
	}
	c2 := ours2[0]
	if err := r.state.Apply(c2); err != nil {
		return err
	}
	for i, v := range at {
		f.recip[v] = theirs2[i]
	}
	for v := range f.recip {
		if v <= base {
			delete(f.recip, v) // later changesets of f have bases >= base
		}
	}
	size := len(changeset.Encode(c2))
	r.entries = append(r.entries, entry{cs: c2, origin: f.ident, size: size, cum: r.cumBytes(latest) + uint64(size)})
	f.integrated = append(f.integrated, integration{
		serverVersion: r.latestVersion(),
		cursor:        protocol.UploadCursor{ClientVersion: cs.Version, LastIntegratedServerVersion: base},
		cum:           f.ownBytes(latest) + uint64(size),
	})
	if o := r.s.opts.Observer; o != nil {
		o.Integrated(r.path, r.latestVersion(), f.ident, cs.Version)
	}
	return nil
}

// State is the realm's current state (read only), for tests and checks.
func (s *Server) State(path string) (*store.State, bool) {
	r, ok := s.realms[path]
	if !ok {
		return nil, false
	}
	return r.state, true
}
