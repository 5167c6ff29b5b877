package oracle

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/syncsim/syncsim/history"
)

// The sync-log model (DESIGN §5): a realm's server history as a sequential
// object, judged only from what clients observed.
//
// State: the epoch salt, the log of changeset ids in server order (server
// version = index+1), the client files the server knows (salt, last
// integrated client version, expired), and the backups taken.
//
// Operations and the rules their steps apply:
//   - upload: accepted only if the changesets past the file's last
//     integrated version are appended exactly once, in the order the client
//     sent them, skipping none; an acknowledgement is illegal when a reset
//     is due;
//   - download: accepted only if its entries are the slice (From, To] of the
//     log without the client's own changesets, at their server versions,
//     with the salt, latest version and acknowledged upload cursor of the
//     state; illegal when a reset is due;
//   - a reset error (on either) is accepted only when the state requires one
//     with that code: both a missed and a spurious reset are violations;
//   - new file: the server hands out an ident it does not know;
//   - backup (instantaneous): remembers the state;
//   - restore (instantaneous): log, files and floor back to the backup's,
//     and a new epoch whose salt is learnt from its first download: it must
//     differ from every earlier epoch's;
//   - terminate (instantaneous): every file forgotten, a new epoch (salt
//     learnt as for a restore), the log cleared, then the server's
//     changeset that rebuilds the data if a download of the epoch showed
//     one at server version 1;
//   - compact (instantaneous), with horizon H = its time - the maximum
//     offline time: a file known and not bound in a session expires if it
//     was last seen before H (a new ident, a CLIENT_IDENT accepted, an
//     UPLOAD, an integration); the floor rises to the number of leading
//     log entries integrated before H, and cursors a session begins from
//     and upload bases in (0, floor) are refused (bad server version).
//     Both are derived from the observations: where they cannot decide
//     (a file's last contact or liveness, an entry's integration time
//     around H), a file's expiry is "maybe" and the floor an interval
//     [lo, hi]; the first answer that depends on it (a reset, or none)
//     settles it, so both are allowed and neither is assumed;
//   - server write: the server appends a changeset of its own (origin
//     file 0, its id {0, server version}): a compensating write, or the
//     changeset a re-enabled epoch begins with. Clients see these only in
//     downloads, so each one a download delivered becomes an operation
//     that must fall at exactly that server version of that epoch, between
//     the epoch's start and the first download that delivered it.
//
// A reply never seen (OutcomeUnknown, Return = Infinite) is the reason the
// model is a porcupine.NondeterministicModel: a dropped upload may have been
// integrated in full, in part (a prefix) or not at all, and each of those
// is a next state. The power-set construction carries all of them forward
// until later observations (downloads, acknowledgements of resends) rule
// all but one out, so the search never has to backtrack over that choice.
// An "unknown" output that a deterministic Step accepted both ways would
// have to pick one next state and could not be right for both.

// syncState is the model's state. States are never modified once built.
type syncState struct {
	salt    uint64    // the current epoch's salt (0: not seen yet; learnt from the epoch's first download)
	past    []uint64  // the salts of earlier epochs (a new epoch's must differ)
	epoch   int       // how many restores and terminates came before (see epochStarts)
	log     idLog     // changeset ids in server order
	files   []fileRec // the client files the server knows, by ident
	floor   floor     // the compacted history's floor: cursors and bases in (0, floor) are too old
	backups *snapshot // backups taken, latest first
}

// floor is what the model knows of the compacted history's floor: it is
// in [lo, hi].
type floor struct{ lo, hi uint64 }

// expiry is what the model knows of whether a file expired.
type expiry uint8

const (
	expNo expiry = iota
	expYes
	expMaybe
)

type fileRec struct {
	ident   uint64
	salt    uint64
	last    uint64 // the last client version of the file integrated
	expired expiry
}

type snapshot struct {
	id    int
	log   idLog
	files []fileRec
	floor floor
	next  *snapshot
}

// uploadOp is an Upload with, for each changeset, the version the client
// sent before it (0 for the first): the order in which the server must
// integrate them.
type uploadOp struct {
	*history.Upload
	prev []uint64
	made *serverWrites
}

// restoreOp and terminateOp are the harness's operations with what the
// model needs of the history around them.
type restoreOp struct {
	*history.Restore
}

type terminateOp struct {
	*history.Terminate
	made *serverWrites
}

// compactOp is a compaction with what the observations say of each
// file's contacts around it and of when each changeset was integrated.
type compactOp struct {
	*history.Compact
	contacts map[uint64]contact
	spans    map[history.ChangesetID]span
}

// codeSet is a set of judged reset codes.
type codeSet uint8

var judgedCodes = []history.Code{history.CodeBadClientFileIdent, history.CodeDivergingHistories, history.CodeBadServerVersion, history.CodeBadClientVersion, history.CodeClientFileExpired}

func codeBit(c history.Code) codeSet { return codeSet(1) << slices.Index(judgedCodes, c) }

func (cs codeSet) has(c history.Code) bool { return c.Judged() && cs&codeBit(c) != 0 }

func (cs codeSet) String() string {
	var names []string
	for _, c := range judgedCodes {
		if cs.has(c) {
			names = append(names, string(c))
		}
	}
	return strings.Join(names, ", ")
}

// reject is a step that cannot happen; why (if asked for) says which rule
// it breaks.
func reject(why *string, format string, args ...any) []*syncState {
	if why != nil {
		*why = fmt.Sprintf(format, args...)
	}
	return nil
}

func (s *syncState) file(ident uint64) *fileRec {
	i, ok := slices.BinarySearchFunc(s.files, ident, func(f fileRec, id uint64) int { return cmp.Compare(f.ident, id) })
	if !ok {
		return nil
	}
	return &s.files[i]
}

// withFile is s with f put in (replacing the file of the same ident).
func (s *syncState) withFile(f fileRec) []fileRec {
	i, ok := slices.BinarySearchFunc(s.files, f.ident, func(g fileRec, id uint64) int { return cmp.Compare(g.ident, id) })
	files := slices.Clone(s.files)
	if ok {
		files[i] = f
	} else {
		files = slices.Insert(files, i, f)
	}
	return files
}

func (s *syncState) step(input any, why *string) []*syncState {
	switch op := input.(type) {
	case *uploadOp:
		return s.upload(op, why)
	case *history.Download:
		return s.download(op, why)
	case *history.NewFile:
		return s.newFile(op, why)
	case *history.Backup:
		return s.backup(op, why)
	case *restoreOp:
		return s.restore(op, why)
	case *terminateOp:
		return s.terminate(op, why)
	case *compactOp:
		return s.compact(op, why)
	case *serverWrite:
		return s.serverWrite(op, why)
	}
	return reject(why, "not a sync-log operation: %T", input)
}

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

func (s *syncState) upload(op *uploadOp, why *string) []*syncState {
	o := s.uploadResets(op.Upload)
	switch {
	case op.Outcome == history.OutcomeReset && op.Code.Judged() && !o.any():
		return reject(why, "spurious reset: %q where none was due", op.Code)
	case o.due != 0 && op.Outcome == history.OutcomeOK:
		return reject(why, "missed reset: acknowledged where the server owed %s", o.due)
	case o.due != 0:
		return []*syncState{s} // refused: nothing integrated
	case op.Outcome == history.OutcomeReset && op.Code.Judged():
		// Refused where a reset only may have been due: it was (any judged
		// code will do; the one named, or the only doubt, is settled).
		switch {
		case o.maybe.has(op.Code):
			return []*syncState{s.settled(o, op.Code, true)}
		case o.file == 0 || o.at == 0:
			return []*syncState{s.settled(o, "", true)}
		}
		return []*syncState{s}
	case op.Outcome == history.OutcomeOK:
		s = s.settled(o, "", false)
	}
	f := *s.file(op.File)
	fresh, follows := op.fresh(f.last)
	if op.Outcome == history.OutcomeOK {
		if follows < len(fresh) {
			return reject(why, "changeset %v acknowledged but the server's last of file %d is version %d: it skipped or repeated one",
				fresh[follows], f.ident, f.last)
		}
		return []*syncState{s.integrate(f, fresh, op.made)}
	}
	// Reply unseen, or refused with a code this model does not judge: the
	// server integrated some prefix of them, perhaps none.
	next := []*syncState{s}
	served := s.settled(o, "", false) // what integrating any means
	for k := 1; k <= follows; k++ {
		next = append(next, served.integrate(f, fresh[:k], op.made))
	}
	return next
}

// fresh returns the changesets of the upload past version last and how
// many of them, from the first, follow on each other in the order the
// client sent its changesets (so may be integrated next).
func (op *uploadOp) fresh(last uint64) ([]history.ChangesetID, int) {
	i := 0
	for i < len(op.IDs) && op.IDs[i].Version <= last {
		i++
	}
	fresh := op.IDs[i:]
	follows := 0
	for j := range fresh {
		before := last
		if j > 0 {
			before = fresh[j-1].Version
		}
		if op.prev[i+j] != before {
			break
		}
		follows++
	}
	return fresh, follows
}

// integrate appends ids to the log; made are the server-made changesets
// the history shows, each of which follows right after the changeset
// before it (a compensating write comes right after the changeset it
// reverts).
func (s *syncState) integrate(f fileRec, ids []history.ChangesetID, made *serverWrites) *syncState {
	if len(ids) == 0 {
		return s
	}
	f.last = ids[len(ids)-1].Version
	next := *s
	log := s.log
	for _, id := range ids {
		log = log.append(id)
		for made.has(s.epoch, log.len()+1) {
			log = log.append(history.ChangesetID{Version: log.len() + 1})
		}
	}
	next.log = log
	next.files = s.withFile(f)
	return &next
}

// serverWrites is the set of server-made changesets downloads delivered.
type serverWrites struct {
	at map[serverWrite]bool
}

// has reports whether the server made the changeset at version of epoch.
func (m *serverWrites) has(epoch int, version uint64) bool {
	if m == nil {
		return false
	}
	return m.at[serverWrite{epoch: epoch, version: version}]
}

func (s *syncState) download(d *history.Download, why *string) []*syncState {
	o := s.downloadResets(d)
	switch d.Outcome {
	case history.OutcomeUnknown:
		return []*syncState{s}
	case history.OutcomeReset:
		return s.resetAnswer(d.Code, o, why)
	}
	if o.due != 0 {
		return reject(why, "missed reset: a download from %d/%d where the server owed %s",
			d.From.ServerVersion, d.From.ClientVersion, o.due)
	}
	next := s.settled(o, "", false)
	switch {
	case s.salt == 0 && slices.Contains(s.past, d.Salt):
		return reject(why, "download of epoch salt %x, an earlier epoch's: the new epoch kept it", d.Salt)
	case s.salt == 0: // the epoch's first download: its salt is learnt here
		n := *next
		n.salt = d.Salt
		next = &n
	case d.Salt != s.salt:
		return reject(why, "download of epoch salt %x, the server's is %x", d.Salt, s.salt)
	}
	n := s.log.len()
	if d.Latest != n {
		return reject(why, "download says the latest server version is %d, the log holds %d", d.Latest, n)
	}
	if d.To.ServerVersion < d.From.ServerVersion || d.To.ServerVersion > n {
		return reject(why, "download cursor moves from %d to %d, the log holds %d", d.From.ServerVersion, d.To.ServerVersion, n)
	}
	i := 0
	for v := d.From.ServerVersion + 1; v <= d.To.ServerVersion; v++ {
		id := s.log.at(v)
		if id.File == d.File {
			continue // a client never receives its own changesets back
		}
		if i == len(d.Entries) || d.Entries[i] != (history.Entry{ServerVersion: v, ID: id}) {
			got := "nothing"
			if i < len(d.Entries) {
				got = fmt.Sprintf("%v at %d", d.Entries[i].ID, d.Entries[i].ServerVersion)
			}
			return reject(why, "at server version %d the log holds %v, the download has %s", v, id, got)
		}
		i++
	}
	if i < len(d.Entries) {
		e := d.Entries[i]
		return reject(why, "download entry %v at %d is not in the log's slice (%d, %d] without file %d",
			e.ID, e.ServerVersion, d.From.ServerVersion, d.To.ServerVersion, d.File)
	}
	f := s.file(d.File)
	if own := s.log.lastOf(f.ident, d.To.ServerVersion); d.To.ClientVersion != own {
		return reject(why, "download cursor says client version %d as of %d, the log says %d", d.To.ClientVersion, d.To.ServerVersion, own)
	}
	if d.Acked != f.last {
		return reject(why, "download acknowledges client version %d, the server integrated %d", d.Acked, f.last)
	}
	return []*syncState{next}
}

func (s *syncState) newFile(nf *history.NewFile, why *string) []*syncState {
	if s.file(nf.File) != nil {
		return reject(why, "client file %d handed out while the server knows it", nf.File)
	}
	next := *s
	next.files = s.withFile(fileRec{ident: nf.File, salt: nf.Salt})
	return []*syncState{&next}
}

func (s *syncState) backup(b *history.Backup, _ *string) []*syncState {
	next := *s
	next.backups = &snapshot{id: b.ID, log: s.log, files: s.files, floor: s.floor, next: s.backups}
	return []*syncState{&next}
}

// newEpoch is s in a new epoch whose salt is not known yet.
func (s *syncState) newEpoch() syncState {
	next := *s
	next.epoch++
	next.salt = 0
	if s.salt != 0 {
		next.past = append(slices.Clip(s.past), s.salt)
	}
	return next
}

func (s *syncState) restore(r *restoreOp, why *string) []*syncState {
	b := s.backups
	for b != nil && b.id != r.Backup {
		b = b.next
	}
	if b == nil {
		return reject(why, "restore from backup %d, which was not taken", r.Backup)
	}
	next := s.newEpoch()
	next.log, next.files, next.floor = b.log, b.files, b.floor
	return []*syncState{&next}
}

func (s *syncState) terminate(t *terminateOp, _ *string) []*syncState {
	next := s.newEpoch()
	next.log, next.files, next.floor = s.log.truncate(0), nil, floor{}
	if t.made.has(next.epoch, 1) {
		next.log = next.log.append(history.ChangesetID{Version: 1})
	}
	return []*syncState{&next}
}

// serverWrite is a changeset the server made, at server version version
// of the epoch of salt salt. The log gets it where the rules put it (a
// compensating write right after the changeset it reverts, a rebuilt
// epoch's first changeset at the terminate); the operation checks it is
// there by the time a download delivered it.
type serverWrite struct {
	epoch   int
	version uint64
}

func (s *syncState) serverWrite(w *serverWrite, why *string) []*syncState {
	id := history.ChangesetID{Version: w.version}
	switch {
	case s.epoch != w.epoch:
		return reject(why, "a server-made changeset of epoch %d, the server's is %d", w.epoch, s.epoch)
	case w.version > s.log.len():
		return reject(why, "a server-made changeset at server version %d, the log holds %d", w.version, s.log.len())
	case s.log.at(w.version) != id:
		return reject(why, "a server-made changeset at server version %d, where the log holds %v", w.version, s.log.at(w.version))
	}
	return []*syncState{s}
}

func (s *syncState) compact(c *compactOp, _ *string) []*syncState {
	next := *s
	next.files = slices.Clone(s.files)
	for i := range next.files {
		f := &next.files[i]
		if f.expired == expYes {
			continue
		}
		switch c.contacts[f.ident] {
		case contactNone:
			f.expired = expYes
		case contactMaybe:
			if f.expired == expNo {
				f.expired = expMaybe
			}
		}
	}
	// The log's order is the order of integration: the leading entries
	// integrated before the horizon are those up to the last one surely
	// integrated before it, at least, and those before the first one
	// surely integrated at or after it, at most. The server's own
	// changesets carry no time of their own.
	horizon := c.Horizon()
	var lo uint64
	hi := s.log.len()
	for v := uint64(1); v <= s.log.len(); v++ {
		id := s.log.at(v)
		if id.File == 0 {
			continue
		}
		sp, ok := c.spans[id]
		if !ok {
			continue
		}
		if sp.hi < horizon {
			lo = v
		}
		if sp.lo >= horizon && hi == s.log.len() {
			hi = v - 1
		}
	}
	next.floor = floor{lo: max(s.floor.lo, lo), hi: max(s.floor.hi, hi, lo)}
	return []*syncState{&next}
}

func (s *syncState) equal(t *syncState) bool {
	if s == t {
		return true
	}
	if s.salt != t.salt || s.epoch != t.epoch || s.floor != t.floor || !slices.Equal(s.past, t.past) ||
		!s.log.equal(t.log) || !slices.Equal(s.files, t.files) {
		return false
	}
	a, b := s.backups, t.backups
	for ; a != nil && b != nil; a, b = a.next, b.next {
		if a != b && (a.id != b.id || a.floor != b.floor || !a.log.equal(b.log) || !slices.Equal(a.files, b.files)) {
			return false
		}
	}
	return a == nil && b == nil
}

func (s *syncState) hash() uint64 {
	h := mix64(s.salt ^ s.log.hash() ^ uint64(s.log.n)<<32 ^ s.floor.lo<<48 ^ s.floor.hi<<40 ^ uint64(s.epoch)<<56)
	h = hashFiles(h, s.files)
	for b := s.backups; b != nil; b = b.next {
		h = hashFiles(mix64(h^uint64(b.id)^b.log.hash()), b.files)
	}
	return h
}

func hashFiles(h uint64, files []fileRec) uint64 {
	for _, f := range files {
		e := uint64(f.expired)
		h = mix64(h ^ f.ident ^ mix64(f.salt^f.last<<1^e))
	}
	return h
}

// syncLogModel is the porcupine model of one realm's sync log.
func syncLogModel() porcupine.Model {
	nm := porcupine.NondeterministicModel{
		Init: func() []interface{} { return []interface{}{&syncState{}} },
		Step: func(state, input, _ interface{}) []interface{} {
			next := state.(*syncState).step(input, nil)
			out := make([]interface{}, len(next))
			for i, n := range next {
				out[i] = n
			}
			return out
		},
		Equal:             func(a, b interface{}) bool { return a.(*syncState).equal(b.(*syncState)) },
		Hash:              func(s interface{}) uint64 { return s.(*syncState).hash() },
		DescribeOperation: func(input, _ interface{}) string { return describeSyncOp(input) },
		DescribeState:     func(s interface{}) string { return s.(*syncState).String() },
	}
	return nm.ToModel()
}

// explainSync replays a linearized prefix and says why op cannot follow it.
func explainSync(prefix []porcupine.Operation, op porcupine.Operation) string {
	states := []*syncState{{}}
	for _, p := range prefix {
		var next []*syncState
		for _, s := range states {
			next = append(next, s.step(p.Input, nil)...)
		}
		states = next
	}
	for _, s := range states {
		var why string
		if len(s.step(op.Input, &why)) == 0 {
			return why
		}
	}
	return ""
}

// syncLogOps turns one realm's history into porcupine operations; lanes
// names the ClientIds (clients in order, then the harness).
func syncLogOps(h *history.History) (ops []porcupine.Operation, lanes []string) {
	lanes, lane := clientLanes(h)
	harness := len(lanes) - 1
	// The order in which each file's changesets were sent: the versions of
	// all its uploads.
	sent := map[uint64][]uint64{}
	for _, u := range h.Uploads {
		for _, id := range u.IDs {
			sent[id.File] = append(sent[id.File], id.Version)
		}
	}
	for f, vs := range sent {
		slices.Sort(vs)
		sent[f] = slices.Compact(vs)
	}
	writeOps, made := serverWriteOps(h, harness)
	for i := range h.Uploads {
		u := &h.Uploads[i]
		op := &uploadOp{Upload: u, prev: make([]uint64, len(u.IDs)), made: made}
		for j, id := range u.IDs {
			vs := sent[id.File]
			if k, _ := slices.BinarySearch(vs, id.Version); k > 0 {
				op.prev[j] = vs[k-1]
			}
		}
		ops = append(ops, porcupine.Operation{ClientId: lane[u.Client], Input: op, Call: u.Call, Return: u.Return})
	}
	for i := range h.Downloads {
		d := &h.Downloads[i]
		ops = append(ops, porcupine.Operation{ClientId: lane[d.Client], Input: d, Call: d.Call, Return: d.Return})
	}
	for i := range h.NewFiles {
		f := &h.NewFiles[i]
		ops = append(ops, porcupine.Operation{ClientId: lane[f.Client], Input: f, Call: f.Call, Return: f.Return})
	}
	instant := func(input any, at int64) {
		ops = append(ops, porcupine.Operation{ClientId: harness, Input: input, Call: at, Return: at})
	}
	for i := range h.Backups {
		instant(&h.Backups[i], h.Backups[i].At)
	}
	for i := range h.Restores {
		instant(&restoreOp{Restore: &h.Restores[i]}, h.Restores[i].At)
	}
	for i := range h.Terminates {
		instant(&terminateOp{Terminate: &h.Terminates[i], made: made}, h.Terminates[i].At)
	}
	spans := integrations(h)
	for i := range h.Compactions {
		c := &h.Compactions[i]
		instant(&compactOp{Compact: c, contacts: contacts(h, c), spans: spans}, c.At)
	}
	return orderWithinInstants(append(ops, writeOps...)), lanes
}

// instantSlots is how many distinct moments the sync-log check tells apart
// within one virtual nanosecond: its operations' times are t*instantSlots
// plus their rank within the instant (see orderWithinInstants).
const instantSlots = 1024

// orderWithinInstants spreads the operations' ends at the same virtual
// instant in the order their Seq gives (an unknown Call is the instant's
// start, an unknown Return its end): porcupine then need not try every
// order of, say, the DOWNLOADs a server sent to every client at one
// instant around an upload it integrated then. A time t becomes
// t*instantSlots + its rank within the instant (capped: the last ranks
// share a slot, which only makes them concurrent).
func orderWithinInstants(ops []porcupine.Operation) []porcupine.Operation {
	type point struct {
		t   int64
		seq uint64
	}
	seqOf := func(op porcupine.Operation) history.Seq {
		switch in := op.Input.(type) {
		case *uploadOp:
			return in.Seq
		case *history.Download:
			return in.Seq
		case *history.NewFile:
			return in.Seq
		case *history.Backup:
			return history.Seq{CallSeq: in.Seq, ReturnSeq: in.Seq}
		case *restoreOp:
			return history.Seq{CallSeq: in.Seq, ReturnSeq: in.Seq}
		case *terminateOp:
			return history.Seq{CallSeq: in.Seq, ReturnSeq: in.Seq}
		case *compactOp:
			return history.Seq{CallSeq: in.Seq, ReturnSeq: in.Seq}
		}
		return history.Seq{}
	}
	calls, rets := make([]point, len(ops)), make([]point, len(ops))
	points := make([]point, 0, 2*len(ops))
	for i, op := range ops {
		s := seqOf(op)
		calls[i] = point{op.Call, s.CallSeq}
		rets[i] = point{op.Return, s.ReturnSeq}
		if s.ReturnSeq == 0 {
			rets[i].seq = math.MaxUint64
		}
		points = append(points, calls[i], rets[i])
	}
	cmpPoint := func(a, b point) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	}
	slices.SortFunc(points, cmpPoint)
	points = slices.Compact(points)
	at := func(p point) int64 {
		if p.t == history.Infinite {
			return history.Infinite
		}
		i, _ := slices.BinarySearchFunc(points, p, cmpPoint)
		first, _ := slices.BinarySearchFunc(points, point{p.t, 0}, cmpPoint)
		return p.t*instantSlots + int64(min(i-first, instantSlots-1))
	}
	out := make([]porcupine.Operation, len(ops))
	for i, op := range ops {
		op.Call, op.Return = at(calls[i]), at(rets[i])
		out[i] = op
	}
	return out
}

// inSlots puts annotations on the sync-log check's time scale.
func inSlots(anns []porcupine.Annotation) []porcupine.Annotation {
	for i := range anns {
		anns[i].Start *= instantSlots
		if anns[i].End != 0 {
			anns[i].End = anns[i].End*instantSlots + instantSlots - 1
		}
	}
	return anns
}

// serverWriteOps finds the server-made changesets the downloads delivered:
// one operation per (epoch, server version), from the epoch's start to the
// first download that delivered it. It returns them as a set too. A
// download's epoch is the one in force when the server sent it.
func serverWriteOps(h *history.History, lane int) ([]porcupine.Operation, *serverWrites) {
	es := epochStarts(h)
	spans := integrations(h)
	seen := map[serverWrite]int64{}
	after := map[serverWrite]history.ChangesetID{} // the client changeset right before it, if a download showed it
	var order []serverWrite
	for _, d := range h.Downloads {
		if d.Outcome != history.OutcomeOK {
			continue
		}
		k := epochAt(es, moment{d.Call, d.CallSeq})
		for i, e := range d.Entries {
			if e.ID.File != 0 {
				continue
			}
			w := serverWrite{epoch: k, version: e.ServerVersion}
			if i > 0 && d.Entries[i-1].ServerVersion == e.ServerVersion-1 {
				after[w] = d.Entries[i-1].ID
			}
			at, ok := seen[w]
			if !ok {
				order = append(order, w)
				at = d.Return
			}
			seen[w] = min(at, d.Return)
		}
	}
	inOrder := map[serverWrite]bool{}
	for _, w := range order {
		inOrder[w] = true
	}
	// A server-made changeset delivered in an epoch a restore began, at a
	// version the backup surely held, came with the backup: the backup's
	// epoch made it, at the same version (latest restore first: a backup
	// may be of a restored epoch). The backup surely held it if a download
	// of the backup's epoch sent before it counted that version, if it is
	// at version 1 (a restored epoch begins with the backup's history), or
	// if it follows a client changeset integrated before the backup (the
	// server makes one right after the changeset it answers).
	taken := map[int]moment{}
	for _, b := range h.Backups {
		taken[b.ID] = moment{b.At, b.Seq}
	}
	for k := len(es); k >= 1; k-- {
		e := es[k-1]
		b, ok := taken[e.backup]
		if e.terminate || !ok {
			continue
		}
		from := epochAt(es, b)
		var held uint64
		for _, d := range h.Downloads {
			if at := (moment{d.Call, d.CallSeq}); d.Outcome == history.OutcomeOK && compareMoments(at, b) < 0 && epochAt(es, at) == from {
				held = max(held, d.Latest)
			}
		}
		for _, w := range slices.Clone(order) {
			prev, ok := after[w]
			before := ok && prev.File != 0 && spans[prev].hi < b.t
			if w.epoch != k || (w.version > held && w.version != 1 && !before) {
				continue
			}
			v := serverWrite{epoch: from, version: w.version}
			if !inOrder[v] {
				inOrder[v] = true
				order = append(order, v)
				seen[v] = b.t
			}
			seen[v] = min(seen[v], b.t)
		}
	}
	made := &serverWrites{at: map[serverWrite]bool{}}
	ops := make([]porcupine.Operation, 0, len(order))
	start := func(k int) int64 {
		if k == 0 {
			return 0
		}
		return es[k-1].at.t
	}
	for _, w := range order {
		made.at[w] = true
		ops = append(ops, porcupine.Operation{ClientId: lane, Input: &w, Call: min(start(w.epoch), seen[w]), Return: seen[w]})
	}
	return ops, made
}

// clientLanes gives every client of a realm history a porcupine ClientId,
// in order of name, and the harness the last one.
func clientLanes(h *history.History) ([]string, map[string]int) {
	names := map[string]bool{}
	for _, u := range h.Uploads {
		names[u.Client] = true
	}
	for _, d := range h.Downloads {
		names[d.Client] = true
	}
	for _, f := range h.NewFiles {
		names[f.Client] = true
	}
	for _, w := range h.WaitUploads {
		names[w.Client] = true
	}
	for _, w := range h.WaitDownloads {
		names[w.Client] = true
	}
	for _, r := range h.Resets {
		names[r.Client] = true
	}
	lanes := append(slices.Sorted(maps.Keys(names)), "harness")
	lane := make(map[string]int, len(lanes))
	for i, n := range lanes {
		lane[n] = i
	}
	return lanes, lane
}

func describeSyncOp(input any) string {
	switch op := input.(type) {
	case *uploadOp:
		s := fmt.Sprintf("%s upload %s", op.Client, idsString(op.IDs))
		switch op.Outcome {
		case history.OutcomeOK:
			return fmt.Sprintf("%s → ack %d", s, op.Acked)
		case history.OutcomeReset:
			return fmt.Sprintf("%s → reset: %s", s, op.Code)
		}
		return s + " → ?"
	case *history.Download:
		s := fmt.Sprintf("%s download f%d from %d/%d", op.Client, op.File, op.From.ServerVersion, op.From.ClientVersion)
		switch op.Outcome {
		case history.OutcomeOK:
			es := make([]string, len(op.Entries))
			for i, e := range op.Entries {
				es[i] = fmt.Sprintf("%d:%v", e.ServerVersion, e.ID)
			}
			return fmt.Sprintf("%s → [%s] to %d/%d latest %d ack %d salt %x", s, strings.Join(es, " "),
				op.To.ServerVersion, op.To.ClientVersion, op.Latest, op.Acked, op.Salt)
		case history.OutcomeReset:
			return fmt.Sprintf("%s (salt %x) → reset: %s", s, op.FromSalt, op.Code)
		}
		return s + " → ?"
	case *history.NewFile:
		return fmt.Sprintf("%s new file %d salt %x", op.Client, op.File, op.Salt)
	case *history.Backup:
		return fmt.Sprintf("backup %d", op.ID)
	case *restoreOp:
		return fmt.Sprintf("restore to backup %d", op.Backup)
	case *terminateOp:
		return "terminate and re-enable"
	case *compactOp:
		return fmt.Sprintf("compact: horizon %d (maximum offline time %d)", op.Horizon(), op.MaxOffline)
	case *serverWrite:
		return fmt.Sprintf("server-made changeset 0:%d, epoch %d", op.version, op.epoch)
	}
	return fmt.Sprintf("%v", input)
}

// idsString renders ids compactly: per file, runs of versions ("3:4-6,9").
func idsString(ids []history.ChangesetID) string {
	var b strings.Builder
	for i := 0; i < len(ids); {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d:", ids[i].File)
		first := true
		for i < len(ids) && (first || ids[i].File == ids[i-1].File) {
			j := i
			for j+1 < len(ids) && ids[j+1].File == ids[i].File && ids[j+1].Version == ids[j].Version+1 {
				j++
			}
			if !first {
				b.WriteByte(',')
			}
			if j > i {
				fmt.Fprintf(&b, "%d-%d", ids[i].Version, ids[j].Version)
			} else {
				fmt.Fprintf(&b, "%d", ids[i].Version)
			}
			first = false
			i = j + 1
		}
	}
	return b.String()
}

func (s *syncState) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "salt %x · log %d", s.salt, s.log.n)
	if s.log.n > 0 {
		from := max(1, s.log.len()-5)
		b.WriteString(" [")
		if from > 1 {
			b.WriteString("… ")
		}
		for v := from; v <= s.log.len(); v++ {
			fmt.Fprintf(&b, "%d:%v", v, s.log.at(v))
			if v < s.log.len() {
				b.WriteByte(' ')
			}
		}
		b.WriteByte(']')
	}
	b.WriteString(" · files")
	for _, f := range s.files {
		fmt.Fprintf(&b, " %d(last %d", f.ident, f.last)
		switch f.expired {
		case expYes:
			b.WriteString(", expired")
		case expMaybe:
			b.WriteString(", maybe expired")
		}
		b.WriteByte(')')
	}
	for bk := s.backups; bk != nil; bk = bk.next {
		fmt.Fprintf(&b, " · backup %d@%d", bk.id, bk.log.n)
	}
	return b.String()
}
