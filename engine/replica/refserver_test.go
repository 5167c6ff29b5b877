package replica

import (
	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/merge"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/store"
)

// refServer is the server side of protocol.md, as a reference for the
// client's integration: a history in server order, the state it builds,
// and per client file the reciprocal forms of history entries and the
// last client version integrated.
type refServer struct {
	state   *store.State
	history []refEntry // history[i] is server version i+1
	recip   map[uint64]map[uint64]*changeset.Changeset
	last    map[uint64]protocol.UploadCursor
}

type refEntry struct {
	cs            *changeset.Changeset
	origin        uint64
	clientVersion uint64
}

func newRefServer() *refServer {
	return &refServer{state: store.New(), recip: map[uint64]map[uint64]*changeset.Changeset{},
		last: map[uint64]protocol.UploadCursor{}}
}

// integrate integrates changeset c uploaded by file f.
func (s *refServer) integrate(f uint64, c *changeset.Changeset) error {
	if c.Version <= s.last[f].ClientVersion {
		return nil
	}
	v := c.LastIntegratedServerVersion
	var concurrent []*changeset.Changeset
	var versions []uint64
	for sv := v + 1; sv <= uint64(len(s.history)); sv++ {
		e := s.history[sv-1]
		if e.origin == f {
			continue
		}
		cs := e.cs
		if r, ok := s.recip[f][sv]; ok {
			cs = r
		}
		concurrent, versions = append(concurrent, cs), append(versions, sv)
	}
	ours, theirs, err := merge.TransformSeq([]*changeset.Changeset{c}, concurrent)
	if err != nil {
		return err
	}
	if err := s.state.Apply(ours[0]); err != nil {
		return err
	}
	s.history = append(s.history, refEntry{cs: ours[0], origin: f, clientVersion: c.Version})
	if s.recip[f] == nil {
		s.recip[f] = map[uint64]*changeset.Changeset{}
	}
	for sv := range s.recip[f] {
		if sv <= v {
			delete(s.recip[f], sv)
		}
	}
	for i, sv := range versions {
		s.recip[f][sv] = theirs[i]
	}
	s.last[f] = protocol.UploadCursor{ClientVersion: c.Version, LastIntegratedServerVersion: v}
	return nil
}

// lastAsOf is the last client version of f integrated at or before sv.
func (s *refServer) lastAsOf(f, sv uint64) uint64 {
	var lv uint64
	for _, e := range s.history[:sv] {
		if e.origin == f {
			lv = e.clientVersion
		}
	}
	return lv
}

// download returns the DOWNLOAD for file f after server version after,
// with at most max changesets.
func (s *refServer) download(f, after uint64, max int) *protocol.Download {
	d := &protocol.Download{SessionIdent: 1, ServerVersionSalt: 77, LatestServerVersion: uint64(len(s.history)),
		UploadCursor: s.last[f]}
	end := after
	for sv := after + 1; sv <= uint64(len(s.history)) && len(d.Changesets) < max; sv++ {
		end = sv
		e := s.history[sv-1]
		if e.origin == f {
			continue
		}
		d.Changesets = append(d.Changesets, protocol.ServerChangeset{ServerVersion: sv,
			LastIntegratedClientVersion: s.lastAsOf(f, sv), Changeset: *e.cs})
	}
	d.DownloadCursor = protocol.DownloadCursor{ServerVersion: end, LastIntegratedClientVersion: s.lastAsOf(f, end)}
	return d
}
