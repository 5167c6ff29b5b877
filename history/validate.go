package history

import (
	"fmt"
	"strings"
)

// Validate reports the first way h is malformed: something the World must
// never emit, as opposed to a violation an oracle judges. Check refuses a
// malformed history.
func (h *History) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	interval := func(what string, i int, call, ret int64) {
		if call < 0 || ret < call {
			bad("%s %d: call %d and return %d are not an interval", what, i, call, ret)
		}
	}
	seqs := func(what string, i int, call, ret int64, s Seq) {
		if call == ret && s.CallSeq != 0 && s.ReturnSeq != 0 && s.ReturnSeq < s.CallSeq {
			bad("%s %d: returns (seq %d) before its call (seq %d) at the same instant", what, i, s.ReturnSeq, s.CallSeq)
		}
	}
	for i, u := range h.Uploads {
		interval("upload", i, u.Call, u.Return)
		seqs("upload", i, u.Call, u.Return, u.Seq)
		switch {
		case u.Client == "" || u.Realm == "":
			bad("upload %d: no client or realm", i)
		case len(u.IDs) == 0:
			bad("upload %d: no changesets", i)
		case u.Return == Infinite && u.Outcome != OutcomeUnknown:
			bad("upload %d: outcome %q without a reply", i, u.Outcome)
		}
		for j, id := range u.IDs {
			if id.File != u.File || id.Version == 0 || (j > 0 && id.Version <= u.IDs[j-1].Version) {
				bad("upload %d: changeset %v is not the next of file %d", i, id, u.File)
				break
			}
		}
		switch u.Outcome {
		case OutcomeOK:
			if len(u.IDs) > 0 && u.Acked < u.IDs[len(u.IDs)-1].Version {
				bad("upload %d: acknowledgement %d does not cover its last changeset", i, u.Acked)
			}
		case OutcomeReset:
			if !u.Code.Valid() {
				bad("upload %d: %q is not a reset code", i, u.Code)
			}
		case OutcomeUnknown:
		default:
			bad("upload %d: outcome %q", i, u.Outcome)
		}
	}
	for i, d := range h.Downloads {
		interval("download", i, d.Call, d.Return)
		seqs("download", i, d.Call, d.Return, d.Seq)
		if d.Client == "" || d.Realm == "" {
			bad("download %d: no client or realm", i)
		}
		if d.Received != 0 && (d.Received < d.Return || d.Received == Infinite) {
			bad("download %d: received at %d, before it was produced (%d) or never", i, d.Received, d.Return)
		}
		switch d.Outcome {
		case OutcomeOK:
			if d.Return == Infinite {
				bad("download %d: received at Infinite", i)
			}
		case OutcomeReset:
			if !d.Code.Valid() {
				bad("download %d: %q is not a reset code", i, d.Code)
			}
		case OutcomeUnknown:
		default:
			bad("download %d: outcome %q", i, d.Outcome)
		}
	}
	for i, f := range h.NewFiles {
		interval("new file", i, f.Call, f.Return)
		seqs("new file", i, f.Call, f.Return, f.Seq)
		if f.Client == "" || f.Realm == "" || f.File == 0 {
			bad("new file %d: no client, realm or ident", i)
		}
	}
	for i, b := range h.Bounds {
		interval("bound", i, b.Begin, b.End)
		if b.Client == "" || b.Realm == "" || b.File == 0 {
			bad("bound %d: no client, realm or ident", i)
		}
	}
	for i, c := range h.Compactions {
		if c.MaxOffline <= 0 {
			bad("compaction %d: maximum offline time %d", i, c.MaxOffline)
		}
	}
	backupAt := map[string]map[int]int64{}
	for i, b := range h.Backups {
		if backupAt[b.Realm] == nil {
			backupAt[b.Realm] = map[int]int64{}
		}
		if _, dup := backupAt[b.Realm][b.ID]; dup {
			bad("backup %d: id %d taken twice in realm %q", i, b.ID, b.Realm)
		}
		backupAt[b.Realm][b.ID] = b.At
	}
	for i, r := range h.Restores {
		at, ok := backupAt[r.Realm][r.Backup]
		if !ok || at > r.At {
			bad("restore %d: no backup %d of realm %q before it", i, r.Backup, r.Realm)
		}
	}
	for i, w := range h.WaitUploads {
		interval("wait upload", i, w.Call, w.Return)
	}
	for i, w := range h.WaitDownloads {
		interval("wait download", i, w.Call, w.Return)
	}
	ids := map[WriteID]bool{}
	for i, w := range h.Writes {
		interval("write", i, w.Call, w.Return)
		switch {
		case w.Client == "" || w.Realm == "":
			bad("write %d: no client or realm", i)
		case w.Changeset.Version == 0:
			bad("write %d: no changeset", i)
		case ids[w.ID]:
			bad("write %d: id %d taken twice", i, w.ID)
		}
		ids[w.ID] = true
		for _, f := range w.Fields {
			if !f.Op.Valid() || f.Object == "" {
				bad("write %d: effect %q on object %q", i, f.Op, f.Object)
				break
			}
		}
	}
	for i, r := range h.Reads {
		interval("read", i, r.Call, r.Return)
		if r.Client == "" || r.Realm == "" || r.Object == "" {
			bad("read %d: no client, realm or object", i)
		}
	}
	for i, r := range h.Resets {
		interval("reset", i, r.Call, r.Return)
		if r.Asked < 0 || r.Asked > r.Call {
			bad("reset %d: asked at %d, after its call %d", i, r.Asked, r.Call)
		}
		if !r.Mode.Valid() || !r.Outcome.Valid() {
			bad("reset %d: mode %q, outcome %q", i, r.Mode, r.Outcome)
		}
	}
	for i, r := range h.ResetChecks {
		if r.Client == "" || r.Realm == "" {
			bad("reset check %d: no client or realm", i)
		}
		if !r.Mode.Valid() || !r.Outcome.Valid() || (r.Pending != "" && r.Pending != ModeDiscard && r.Pending != ModeRecover) {
			bad("reset check %d: mode %q, outcome %q, pending %q", i, r.Mode, r.Outcome, r.Pending)
		}
	}
	if c := h.Convergence; c != nil && c.Deadline < c.HealAt {
		bad("convergence: deadline %d before heal %d", c.Deadline, c.HealAt)
	}
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Sprintf("and %d more", len(errs)-10))
	}
	if len(errs) > 0 {
		return fmt.Errorf("malformed history: %s", strings.Join(errs, "; "))
	}
	return nil
}
