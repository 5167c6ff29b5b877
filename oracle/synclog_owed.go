package oracle

import (
	"github.com/syncsim/syncsim/history"
)

// What the sync-log model owes a request: the reset errors a state
// requires of an upload or a download, certainly or perhaps, and how an
// answer settles what was in doubt.

// owed is what the server owes a request instead of serving it: the
// codes certainly due, and those that may be (a file that may have
// expired; a cursor or base that may be below the floor, at version at).
type owed struct {
	due, maybe codeSet
	file       uint64 // the file whose expiry is in doubt (0: none)
	at         uint64 // the version whose standing against the floor is in doubt (0: none)
}

func (o owed) any() bool { return o.due|o.maybe != 0 }

// expiry and floor add the expiry of f and the standing of version v
// against the floor to o.
func (o *owed) expiry(f *fileRec) {
	switch f.expired {
	case expYes:
		o.due |= codeBit(history.CodeClientFileExpired)
	case expMaybe:
		o.maybe |= codeBit(history.CodeClientFileExpired)
		o.file = f.ident
	}
}

func (o *owed) floor(fl floor, v uint64) {
	switch {
	case v == 0 || v >= fl.hi:
	case v < fl.lo:
		o.due |= codeBit(history.CodeBadServerVersion)
	default:
		o.maybe |= codeBit(history.CodeBadServerVersion)
		o.at = v
	}
}

// settled is s with what o was in doubt about settled: held says whether
// the doubtful condition named by code held (code "" settles them all).
func (s *syncState) settled(o owed, code history.Code, held bool) *syncState {
	if o.maybe == 0 {
		return s
	}
	next := *s
	if o.file != 0 && (code == "" || code == history.CodeClientFileExpired) {
		g := *s.file(o.file)
		g.expired = expNo
		if held {
			g.expired = expYes
		}
		next.files = s.withFile(g)
	}
	if o.at != 0 && (code == "" || code == history.CodeBadServerVersion) {
		if held {
			next.floor.lo = max(next.floor.lo, o.at+1)
		} else {
			next.floor.hi = min(next.floor.hi, o.at)
		}
	}
	return &next
}

// uploadResets is what the server owes an upload instead of an
// acknowledgement: it was sent in a session of the current epoch, for a
// file the server knows under that salt and has not expired. The server
// checks an upload against its own state, not a presented cursor, so when
// a reset is due any judged code will do (e.g. "bad server version" for a
// changeset based past a restored history).
func (s *syncState) uploadResets(u *history.Upload) owed {
	f := s.file(u.File)
	if f == nil {
		return owed{due: codeBit(history.CodeBadClientFileIdent)}
	}
	var o owed
	if f.salt != u.FileSalt || u.Epoch != s.salt {
		o.due |= codeBit(history.CodeDivergingHistories)
	}
	o.floor(s.floor, u.Base)
	o.expiry(f)
	return o
}

// downloadResets is what the server owes a client standing at d.From
// instead of a download (the checks of CLIENT_IDENT, DESIGN §3 table).
func (s *syncState) downloadResets(d *history.Download) owed {
	f := s.file(d.File)
	if f == nil {
		return owed{due: codeBit(history.CodeBadClientFileIdent)}
	}
	var o owed
	if f.salt != d.FileSalt || (d.From.ServerVersion > 0 && d.FromSalt != s.salt) {
		o.due |= codeBit(history.CodeDivergingHistories)
	}
	// Either check may answer when both fail.
	if d.From.ServerVersion > s.log.len() {
		o.due |= codeBit(history.CodeBadServerVersion)
	} else if d.First {
		o.floor(s.floor, d.From.ServerVersion)
	}
	if d.From.ClientVersion > 0 && d.From.ClientVersion > s.log.lastOf(f.ident, min(d.From.ServerVersion, s.log.len())) {
		o.due |= codeBit(history.CodeBadClientVersion)
	}
	o.expiry(f)
	return o
}

// resetAnswer judges a reset error: a judged code must be due, or may be
// (then it settles that it was).
func (s *syncState) resetAnswer(code history.Code, o owed, why *string) []*syncState {
	switch {
	case !code.Judged() || o.due.has(code):
		return []*syncState{s}
	case o.maybe.has(code):
		return []*syncState{s.settled(o, code, true)}
	case !o.any():
		return reject(why, "spurious reset: %q where none was due", code)
	}
	return reject(why, "reset %q where the server owed %s", code, o.due|o.maybe)
}
