package oracle

import

// Builders for hand-written histories of one realm. Every client file f has
// salt fsalt(f); epochs are named by their salt.
"github.com/syncsim/syncsim/history"

const (
	testRealm = "/r"
	salt1     = 0xa1 // the realm's first epoch
	salt2     = 0xb2 // the epoch after a restore
)

func fsalt(f uint64) uint64 { return 0x100 + f }

func cur(sv, cv uint64) history.Cursor { return history.Cursor{ServerVersion: sv, ClientVersion: cv} }

func ent(sv, file, version uint64) history.Entry {
	return history.Entry{ServerVersion: sv, ID: history.ChangesetID{File: file, Version: version}}
}

func ids(file uint64, versions ...uint64) []history.ChangesetID {
	out := make([]history.ChangesetID, len(versions))
	for i, v := range versions {
		out[i] = history.ChangesetID{File: file, Version: v}
	}
	return out
}

type hist struct{ history.History }

// newFile records file handed out to client, and its session: bound from
// call on, its CLIENT_IDENT accepted by ret, never seen ending (see
// endSession).
func (h *hist) newFile(client string, file uint64, call, ret int64) {
	h.NewFiles = append(h.NewFiles, history.NewFile{Client: client, Realm: testRealm, File: file, Salt: fsalt(file), Call: call, Return: ret})
	h.Bounds = append(h.Bounds, history.Bound{Client: client, Realm: testRealm, File: file, Begin: call, Accepted: ret, End: history.Infinite})
}

// endSession ends the sessions of file at the server at end.
func (h *hist) endSession(file uint64, end int64) {
	for i := range h.Bounds {
		if b := &h.Bounds[i]; b.File == file && b.End > end {
			b.End = end
		}
	}
}

// upload records an acknowledged upload of versions of file.
func (h *hist) upload(client string, file, epoch uint64, call, ret int64, acked uint64, versions ...uint64) *history.Upload {
	h.Uploads = append(h.Uploads, history.Upload{Client: client, Realm: testRealm, File: file, FileSalt: fsalt(file), Epoch: epoch,
		IDs: ids(file, versions...), Call: call, Return: ret, Outcome: history.OutcomeOK, Acked: acked})
	return &h.Uploads[len(h.Uploads)-1]
}

// lostUpload records an upload whose reply was never seen.
func (h *hist) lostUpload(client string, file, epoch uint64, call int64, versions ...uint64) {
	u := h.upload(client, file, epoch, call, history.Infinite, 0, versions...)
	u.Outcome = history.OutcomeUnknown
}

// download records a DOWNLOAD received.
func (h *hist) download(client string, file uint64, from history.Cursor, fromSalt uint64, call, ret int64,
	to history.Cursor, salt, latest, acked uint64, entries ...history.Entry) {
	h.Downloads = append(h.Downloads, history.Download{Client: client, Realm: testRealm, File: file, FileSalt: fsalt(file),
		From: from, FromSalt: fromSalt, Call: call, Return: ret, Outcome: history.OutcomeOK,
		Entries: entries, To: to, Salt: salt, Latest: latest, Acked: acked})
}

// refused records a reset error received instead of a session's first
// download (the answer to its CLIENT_IDENT).
func (h *hist) refused(client string, file uint64, from history.Cursor, fromSalt uint64, call, ret int64, code history.Code) {
	h.Downloads = append(h.Downloads, history.Download{Client: client, Realm: testRealm, File: file, FileSalt: fsalt(file),
		From: from, FromSalt: fromSalt, Call: call, Return: ret, Outcome: history.OutcomeReset, Code: code, First: true})
}

// basic: clients a (file 1) and b (file 2) sync a few changesets; the log
// ends as [1:1 1:2 2:1] (t <= 62).
func basic(h *hist) {
	h.newFile("a", 1, 0, 10)
	h.newFile("b", 2, 0, 10)
	h.download("a", 1, cur(0, 0), 0, 10, 20, cur(0, 0), salt1, 0, 0)
	h.download("b", 2, cur(0, 0), 0, 10, 20, cur(0, 0), salt1, 0, 0)
	h.upload("a", 1, salt1, 25, 40, 2, 1, 2)
	h.download("a", 1, cur(0, 0), salt1, 20, 40, cur(2, 2), salt1, 2, 2)
	h.download("b", 2, cur(0, 0), salt1, 20, 42, cur(2, 0), salt1, 2, 0, ent(1, 1, 1), ent(2, 1, 2))
	h.upload("b", 2, salt1, 45, 60, 1, 1)
	h.download("b", 2, cur(2, 0), salt1, 42, 60, cur(3, 1), salt1, 3, 1)
	h.download("a", 1, cur(2, 2), salt1, 40, 62, cur(3, 2), salt1, 3, 2, ent(3, 2, 1))
}

// concurrent: a and b upload at the same time; the server takes b's first:
// the log ends as [... 4:2:2 5:1:3] (t <= 91).
func concurrent(h *hist) {
	h.upload("a", 1, salt1, 70, 90, 3, 3)
	h.upload("b", 2, salt1, 71, 91, 2, 2)
	h.download("a", 1, cur(3, 2), salt1, 62, 90, cur(5, 3), salt1, 5, 3, ent(4, 2, 2))
	h.download("b", 2, cur(3, 1), salt1, 60, 91, cur(5, 2), salt1, 5, 2, ent(5, 1, 3))
}

// backupAt2 takes backup 1 when the log held [1:1 1:2].
func backupAt2(h *hist) {
	h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 43})
}

// restore rolls the realm back to backup 1 at t=100 under salt2.
func restore(h *hist) {
	h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 100})
}

func build(steps ...func(*hist)) *history.History {
	h := &hist{}
	for _, s := range steps {
		s(h)
	}
	return &h.History
}
