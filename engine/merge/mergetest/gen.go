// Package mergetest provides rapid generators for merge properties: base
// states and concurrent transactions made on them, built by simulating
// random user transactions against a copy of the state so that every
// generated changeset is valid where it was made.
//
// Everything is drawn from a small fixed universe (two classes, a dozen
// properties, a handful of primary keys, a few values), so concurrent
// transactions collide often: same objects, same fields, same list
// positions, links to objects the other side erases. Column and class
// names determine their types, so concurrent schema changes never
// conflict; schema mismatches are for hand-written tests.
package mergetest

import (
	"fmt"

	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// Universe is the schema that generated states take part of.
func Universe() schema.Schema {
	link := func(target string) schema.PropType {
		return schema.PropType{Kind: schema.Link, Nullable: true, Target: target}
	}
	list := func(t schema.PropType) schema.PropType { t.List = true; return t }
	return schema.Schema{Classes: []schema.Class{
		{Name: "A", PKKind: schema.Int, Props: []schema.Property{
			{Name: "b", Type: schema.PropType{Kind: schema.Bool}},
			{Name: "d", Type: schema.PropType{Kind: schema.Double}},
			{Name: "ints", Type: list(schema.PropType{Kind: schema.Int})},
			{Name: "n", Type: schema.PropType{Kind: schema.Int}},
			{Name: "on", Type: schema.PropType{Kind: schema.Int, Nullable: true}},
			{Name: "other", Type: link("B")},
			{Name: "ref", Type: link("A")},
			{Name: "refs", Type: list(link("A"))},
			{Name: "s", Type: schema.PropType{Kind: schema.String, Nullable: true}},
			{Name: "strs", Type: list(schema.PropType{Kind: schema.String, Nullable: true})},
			{Name: "t", Type: schema.PropType{Kind: schema.Timestamp}},
		}},
		{Name: "B", PKKind: schema.String, Props: []schema.Property{
			{Name: "ints", Type: list(schema.PropType{Kind: schema.Int})},
			{Name: "n", Type: schema.PropType{Kind: schema.Int}},
			{Name: "ref", Type: link("A")},
			{Name: "refs", Type: list(link("A"))},
			{Name: "s", Type: schema.PropType{Kind: schema.String}},
		}},
	}}
}

// pks are the primary keys objects of each universe class may have.
var pks = map[string][]changeset.PK{
	"A": {changeset.IntPK(1), changeset.IntPK(2), changeset.IntPK(3), changeset.IntPK(4)},
	"B": {changeset.StrPK("p"), changeset.StrPK("q"), changeset.StrPK("r")},
}

// State generates a base state: most of the universe's schema and a few
// objects with values, lists and some dangling links.
func State() *rapid.Generator[*store.State] {
	return rapid.Custom(func(t *rapid.T) *store.State {
		s := store.New()
		w := newWriter(t, s, "base")
		for _, c := range Universe().Classes {
			if rapid.Float64Range(0, 1).Draw(t, "base: has class "+c.Name) >= 0.9 {
				continue
			}
			w.do(changeset.Instruction{Op: changeset.AddTable, Class: c.Name, PKKind: c.PKKind})
			for _, p := range c.Props {
				if rapid.Float64Range(0, 1).Draw(t, "base: has column "+c.Name+"."+p.Name) < 0.85 {
					w.do(changeset.Instruction{Op: changeset.AddColumn, Class: c.Name, Field: p.Name, Type: p.Type})
				}
			}
		}
		n := rapid.IntRange(0, 40).Draw(t, "base: instructions")
		w.run(n, populate)
		return s
	})
}

// Scenario is a base state and two concurrent sequences of changesets
// made on it: Ours by one client, each changeset on the state its
// predecessors left; Theirs like a server's history, by several clients.
// OursState is Base·Ours and TheirsState is Base·Theirs.
type Scenario struct {
	Base, OursState, TheirsState *store.State
	Ours, Theirs                 []*changeset.Changeset
}

// Concurrent generates scenarios with 1..maxOurs changesets on our side,
// 1..maxTheirs on theirs and up to maxOps instructions in each changeset.
// Origin timestamps are drawn from a small range, independently per
// changeset (so clocks step backwards and timestamps tie often); our file
// ident differs from every one of theirs, so discriminants never tie.
func Concurrent(maxOurs, maxTheirs, maxOps int) *rapid.Generator[Scenario] {
	return concurrent(State(), user, maxOurs, maxTheirs, maxOps)
}

// ListConcurrent is Concurrent on a state with a few lists of one object,
// where every instruction is a list instruction: the list transforms,
// concentrated.
func ListConcurrent(maxOurs, maxTheirs, maxOps int) *rapid.Generator[Scenario] {
	return concurrent(listState(), lists, maxOurs, maxTheirs, maxOps)
}

func concurrent(base *rapid.Generator[*store.State], mix []weighted, maxOurs, maxTheirs, maxOps int) *rapid.Generator[Scenario] {
	return rapid.Custom(func(t *rapid.T) Scenario {
		b := base.Draw(t, "base")
		ourIdent := rapid.Uint64Range(1, 3).Draw(t, "our file ident")
		theirIdent := rapid.Uint64Range(1, 4).Filter(func(i uint64) bool { return i != ourIdent })
		sc := Scenario{Base: b, OursState: b.Clone(), TheirsState: b.Clone()}
		for i := range rapid.IntRange(1, maxOurs).Draw(t, "ours") {
			origin := changeset.Discriminant{
				Timestamp: rapid.Int64Range(0, 4).Draw(t, "our timestamp"),
				FileIdent: ourIdent,
			}
			sc.Ours = append(sc.Ours, txn(t, sc.OursState, mix, maxOps, origin, fmt.Sprintf("ours[%d]", i)))
		}
		for i := range rapid.IntRange(1, maxTheirs).Draw(t, "theirs") {
			origin := changeset.Discriminant{
				Timestamp: rapid.Int64Range(0, 4).Draw(t, "their timestamp"),
				FileIdent: theirIdent.Draw(t, "their file ident"),
			}
			sc.Theirs = append(sc.Theirs, txn(t, sc.TheirsState, mix, maxOps, origin, fmt.Sprintf("theirs[%d]", i)))
		}
		return sc
	})
}

// listState generates a state with two objects of class A that have only
// the lists "ints" and "refs" (links to A), the first object's lists
// holding up to 8 elements each; sometimes the second object is erased,
// leaving dangling links.
func listState() *rapid.Generator[*store.State] {
	return rapid.Custom(func(t *rapid.T) *store.State {
		s := store.New()
		w := newWriter(t, s, "base")
		a, _ := Universe().Class("A")
		w.do(changeset.Instruction{Op: changeset.AddTable, Class: "A", PKKind: a.PKKind})
		for _, name := range []string{"ints", "refs"} {
			p, _ := a.Property(name)
			w.do(changeset.Instruction{Op: changeset.AddColumn, Class: "A", Field: name, Type: p.Type})
		}
		for _, pk := range pks["A"][:2] {
			w.do(changeset.Instruction{Op: changeset.CreateObject, Class: "A", PK: pk})
		}
		for _, name := range []string{"ints", "refs"} {
			p, _ := a.Property(name)
			for i := range uint32(rapid.IntRange(0, 8).Draw(t, "base: size of "+name)) {
				w.do(changeset.Instruction{Op: changeset.ArrayInsert, Class: "A", PK: pks["A"][0], Field: name,
					Index: i, PriorSize: i, Value: w.value(p.Type)})
			}
		}
		if w.chance(0.3, "base: erase A[2]") {
			w.do(changeset.Instruction{Op: changeset.EraseObject, Class: "A", PK: pks["A"][1]})
		}
		return s
	})
}

// Txn draws a user transaction of 1..maxOps instructions valid on s (fewer
// when s offers nothing to do), applies it to s and returns it as a
// changeset with the given origin. label names the draws.
func Txn(t *rapid.T, s *store.State, maxOps int, origin changeset.Discriminant, label string) *changeset.Changeset {
	return txn(t, s, user, maxOps, origin, label)
}

func txn(t *rapid.T, s *store.State, mix []weighted, maxOps int, origin changeset.Discriminant, label string) *changeset.Changeset {
	w := newWriter(t, s, label)
	w.run(rapid.IntRange(1, maxOps).Draw(t, label+": instructions"), mix)
	return &changeset.Changeset{
		OriginTimestamp: origin.Timestamp,
		OriginFileIdent: origin.FileIdent,
		Instructions:    w.out,
	}
}

// Fleet is a base state and the changesets of several clients that all
// started from it and have not seen each other's changes: Clients[k] is
// client k's causally ordered sequence (file ident k+1) and States[k] is
// Base·Clients[k].
type Fleet struct {
	Base    *store.State
	Clients [][]*changeset.Changeset
	States  []*store.State
}

// Clients generates fleets of 2..maxClients clients, each with 1..maxCs
// changesets of up to maxOps instructions, timestamps drawn as in
// Concurrent.
func Clients(maxClients, maxCs, maxOps int) *rapid.Generator[Fleet] {
	return rapid.Custom(func(t *rapid.T) Fleet {
		f := Fleet{Base: State().Draw(t, "base")}
		for k := range rapid.IntRange(2, maxClients).Draw(t, "clients") {
			s := f.Base.Clone()
			var seq []*changeset.Changeset
			for i := range rapid.IntRange(1, maxCs).Draw(t, "changesets") {
				origin := changeset.Discriminant{
					Timestamp: rapid.Int64Range(0, 4).Draw(t, "timestamp"),
					FileIdent: uint64(k + 1),
				}
				seq = append(seq, txn(t, s, user, maxOps, origin, fmt.Sprintf("client %d changeset %d", k, i)))
			}
			f.Clients = append(f.Clients, seq)
			f.States = append(f.States, s)
		}
		return f
	})
}
