package server

import (
	"fmt"
	"slices"
	"strings"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/store"
)

// admit integrates cs, the next changeset of file f, and, if f's role
// does not permit some of what it wrote, reverts that with a compensating
// write: a server-made changeset (origin file ident 0, the offending
// changeset's timestamp, so that concurrent writes later by discriminant
// still win) appended right after it. It returns the journal records that
// make this durable and, for a compensation, the report for the writer.
// On error nothing changed.
func (r *realm) admit(f *file, cs *changeset.Changeset, at env.Time) ([][]byte, *revert, error) {
	role := r.s.role(f.role)
	var pre *store.State
	if !role.permitsAll(cs) {
		pre = r.state.Clone()
	}
	c2, err := r.integrate(f, cs, at)
	if err != nil {
		return nil, nil, err
	}
	recs := [][]byte{encodeIntegrate(f.ident, at, cs)}
	if pre == nil {
		return recs, nil, nil
	}
	ins, writes, err := compensation(pre, c2, role)
	if err != nil || len(ins) == 0 {
		if err != nil {
			r.s.logf("compensating write failed", "realm", r.path, "file", f.ident, "version", cs.Version, "err", err)
		}
		return recs, nil, nil // the transform left nothing to revert
	}
	latest := r.latestVersion()
	comp := &changeset.Changeset{Version: latest + 1, LastIntegratedServerVersion: latest,
		OriginTimestamp: cs.OriginTimestamp, Instructions: ins}
	if err := r.appendServer(comp, at); err != nil {
		r.s.logf("compensating write failed", "realm", r.path, "file", f.ident, "version", cs.Version, "err", err)
		return recs, nil, nil
	}
	recs = append(recs, encodeServer(at, comp))
	return recs, &revert{version: r.latestVersion(), message: revertMessage(cs.Version, f.role, writes),
		compensation: &protocol.Compensation{ClientVersion: cs.Version, Reverted: writes}}, nil
}

// revertMessage is the message of the ERROR CompensatingWrite for the
// writes a changeset of client version version made that role did not
// permit, for humans: a first line naming the version and the role, then
// one line per object (as "Class[pk]", a string key quoted), column
// ("Class.field") or table ("Class") reverted. The ERROR's Compensation
// says the same for machines.
func revertMessage(version uint64, role string, writes []protocol.Reverted) string {
	lines := make([]string, len(writes))
	for i, w := range writes {
		lines[i] = w.String()
	}
	return fmt.Sprintf("client version %d: role %q may not write these; reverted:\n%s", version, role, strings.Join(lines, "\n"))
}

// compensation returns the instructions that revert, on pre·c, the
// instructions of c that role does not permit, computed from the state
// each of them was applied to (pre is used up), and names the objects,
// columns and tables they wrote, each once, in order.
//
// Permissions are per class, so the instructions on one object, list or
// table are either all permitted or all reverted; reverting them in
// reverse order, each by its inverse, brings those back exactly, whatever
// the permitted instructions in between did elsewhere.
func compensation(pre *store.State, c *changeset.Changeset, role Role) ([]changeset.Instruction, []protocol.Reverted, error) {
	var groups [][]changeset.Instruction
	var writes []protocol.Reverted
	for i := range c.Instructions {
		in := &c.Instructions[i]
		if !role.permits(in) {
			groups = append(groups, inverse(pre, in))
			if w := written(in); !slices.Contains(writes, w) {
				writes = append(writes, w)
			}
		}
		if err := pre.Apply(&changeset.Changeset{Instructions: c.Instructions[i : i+1]}); err != nil {
			return nil, nil, fmt.Errorf("instruction %d: %w", i, err)
		}
	}
	var ins []changeset.Instruction
	for i := len(groups) - 1; i >= 0; i-- {
		ins = append(ins, groups[i]...)
	}
	return ins, writes, nil
}

// inverse returns the instructions that undo in, which applies to s.
func inverse(s *store.State, in *changeset.Instruction) []changeset.Instruction {
	un := changeset.Instruction{Class: in.Class, PK: in.PK, Field: in.Field}
	switch in.Op {
	case changeset.CreateObject:
		if s.Exists(in.Class, in.PK) {
			return nil // a create of an existing object does nothing
		}
		un.Op = changeset.EraseObject
	case changeset.EraseObject:
		ins, _ := store.Recreate(s, in.Class, in.PK) // a missing object: in does not apply, the caller finds out
		return ins
	case changeset.Update:
		un.Op = changeset.Update
		if in.InList {
			l, _ := s.StoredList(in.Class, in.PK, in.Field)
			if int(in.Index) >= len(l) {
				return nil // in does not apply: the caller finds out
			}
			un.InList, un.Index, un.Value = true, in.Index, l[in.Index]
		} else {
			un.Value, _ = s.Stored(in.Class, in.PK, in.Field)
		}
	case changeset.AddInteger:
		if v, _ := s.Stored(in.Class, in.PK, in.Field); v.Null() {
			return nil // an add to null does nothing
		}
		un.Op, un.Delta = changeset.AddInteger, -in.Delta
	case changeset.ArrayInsert:
		un.Op, un.Index, un.PriorSize = changeset.ArrayErase, in.Index, in.PriorSize+1
	case changeset.ArrayErase:
		l, _ := s.StoredList(in.Class, in.PK, in.Field)
		if int(in.Index) >= len(l) || in.PriorSize == 0 {
			return nil // in does not apply: the caller finds out
		}
		un.Op, un.Index, un.PriorSize, un.Value = changeset.ArrayInsert, in.Index, in.PriorSize-1, l[in.Index]
	case changeset.ArrayMove:
		un.Op, un.Index, un.To, un.PriorSize = changeset.ArrayMove, in.To, in.Index, in.PriorSize
	case changeset.Clear:
		l, _ := s.StoredList(in.Class, in.PK, in.Field)
		return store.Inserts(in.Class, in.PK, in.Field, l)
	case changeset.EraseColumn:
		ins, _ := store.RecreateColumn(s, in.Class, in.Field) // a missing column: as above
		return ins
	case changeset.EraseTable:
		ins, _ := store.RecreateTable(s, in.Class) // a missing table: as above
		return ins
	default:
		return nil // AddTable and AddColumn are always permitted
	}
	return []changeset.Instruction{un}
}

// written names what an instruction writes: its object, or its column or
// table for a schema instruction.
func written(in *changeset.Instruction) protocol.Reverted {
	switch in.Op {
	case changeset.EraseTable:
		return protocol.Reverted{Kind: protocol.RevertedTable, Class: in.Class}
	case changeset.EraseColumn:
		return protocol.Reverted{Kind: protocol.RevertedColumn, Class: in.Class, Field: in.Field}
	}
	return protocol.Reverted{Kind: protocol.RevertedObject, Class: in.Class, PK: in.PK}
}
