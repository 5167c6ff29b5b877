package server

// Read-only views of a realm for histories: what a harness records about
// its own operations (the history a restore rolls back, the salt an epoch
// begins with, the files a compaction expired).

// Origin names a changeset of a realm's history as a DOWNLOAD names it: the
// client file it came from and its client version there; a changeset the
// server made has File 0 and its server version as Version.
type Origin struct {
	File    uint64
	Version uint64
}

// History returns the realm's current epoch salt and the origin of every
// changeset of the epoch's history, in server order (server version i+1
// at index i), durable or not; ok is false if the server hosts no realm
// at path.
func (s *Server) History(path string) (salt uint64, origins []Origin, ok bool) {
	r, ok := s.realms[path]
	if !ok {
		return 0, nil, false
	}
	origins = make([]Origin, len(r.entries))
	for i, e := range r.entries {
		origins[i] = Origin{File: e.cs.OriginFileIdent, Version: e.cs.Version}
	}
	return r.salt, origins, true
}

// ExpiredFiles returns the idents of the realm's expired client files,
// sorted (none for a realm the server does not host).
func (s *Server) ExpiredFiles(path string) []uint64 {
	r, ok := s.realms[path]
	if !ok {
		return nil
	}
	var out []uint64
	for _, id := range sortedKeys(r.files) {
		if r.files[id].expired {
			out = append(out, id)
		}
	}
	return out
}

// Floor returns the realm's compacted-history floor: download cursors and
// upload bases in (0, floor) are too old to serve (0 for a realm the
// server does not host, or one never compacted in its epoch).
func (s *Server) Floor(path string) uint64 {
	r, ok := s.realms[path]
	if !ok {
		return 0
	}
	return r.floor
}
