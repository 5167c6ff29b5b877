package changeset_test

import (
	"testing"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
)

// benchChangeset is a typical write transaction of 20 instructions: a few
// objects created and filled in, a counter bumped, a list edited.
func benchChangeset() *changeset.Changeset {
	cs := &changeset.Changeset{Version: 1234, LastIntegratedServerVersion: 5678, OriginTimestamp: 1_700_000_000_000_000_000, OriginFileIdent: 42}
	add := func(in changeset.Instruction) { cs.Instructions = append(cs.Instructions, in) }
	for i := range int64(4) {
		pk := changeset.StrPK("task-000" + string(rune('0'+i)))
		add(changeset.Instruction{Op: changeset.CreateObject, Class: "Task", PK: pk})
		add(changeset.Instruction{Op: changeset.Update, Class: "Task", PK: pk, Field: "title",
			Value: changeset.Value{Kind: schema.String, Str: "Buy milk and some bread"}})
		add(changeset.Instruction{Op: changeset.Update, Class: "Task", PK: pk, Field: "due",
			Value: changeset.Value{Kind: schema.Timestamp, Int: 1_700_000_000_000_000_000 + i}})
		add(changeset.Instruction{Op: changeset.Update, Class: "Task", PK: pk, Field: "owner",
			Value: changeset.Value{Kind: schema.Link, Class: "Person", Target: changeset.IntPK(7)}})
	}
	add(changeset.Instruction{Op: changeset.AddInteger, Class: "Person", PK: changeset.IntPK(7), Field: "done", Delta: 4})
	add(changeset.Instruction{Op: changeset.Update, Class: "Person", PK: changeset.IntPK(7), Field: "score",
		Value: changeset.Value{Kind: schema.Double, Float: 3.25}})
	for i := range uint32(2) {
		add(changeset.Instruction{Op: changeset.ArrayInsert, Class: "Person", PK: changeset.IntPK(7), Field: "tasks",
			Index: i, PriorSize: 10 + i, Value: changeset.Value{Kind: schema.Link, Class: "Task", Target: changeset.StrPK("task-0001")}})
	}
	return cs
}

func BenchmarkEncode(b *testing.B) {
	cs := benchChangeset()
	buf := changeset.Encode(cs)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf = changeset.AppendBinary(buf[:0], cs)
	}
}

func BenchmarkEncodeFresh(b *testing.B) {
	cs := benchChangeset()
	b.SetBytes(int64(len(changeset.Encode(cs))))
	b.ReportAllocs()
	for b.Loop() {
		changeset.Encode(cs)
	}
}

func BenchmarkDecode(b *testing.B) {
	buf := changeset.Encode(benchChangeset())
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := changeset.Decode(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate(b *testing.B) {
	cs := benchChangeset()
	b.ReportAllocs()
	for b.Loop() {
		if err := cs.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}
