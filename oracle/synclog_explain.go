package oracle

import (
	"fmt"
	"strings"

	"github.com/anishathalye/porcupine"
	"github.com/syncsim/syncsim/history"
)

// Descriptions of the sync-log model's operations and states, for
// failures and porcupine's views.

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
