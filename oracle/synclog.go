package oracle

import (
	"cmp"
	"fmt"
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
