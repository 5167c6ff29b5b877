package merge_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/merge"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
)

// Each test is one conflict rule of DESIGN §3: two concurrent changesets
// on the fixture, and the state both orders must reach.

func TestCreateObject_Idempotent(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "concurrent creates of a new key make one object",
			a:    cs(1, 1, create(9), upd(9, "n", num(1))),
			b:    cs(2, 2, create(9), upd(9, "s", str("x"))),
			want: seq(create(9), upd(9, "n", num(1)), upd(9, "s", str("x")))},
		{name: "a create of an existing object changes nothing",
			a:    cs(1, 1, create(1)),
			b:    cs(1, 2, upd(1, "n", num(5))),
			want: seq(upd(1, "n", num(5)))},
	})
}

func TestEraseObject_BeatsCreate(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "erase beats a newer create of the same object",
			a:    cs(1, 1, erase(2)),
			b:    cs(9, 2, create(2), upd(2, "n", num(3))),
			want: seq(erase(2))},
		{name: "erase of an object both sides created wins",
			a:    cs(5, 1, create(9), upd(9, "n", num(1))),
			b:    cs(1, 2, create(9), erase(9)),
			want: nil},
	})
}

func TestEraseObject_DiscardsInstructionsInside(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "every newer instruction inside the object is discarded",
			a: cs(1, 1, erase(1)),
			b: cs(9, 2, upd(1, "n", num(5)), add(1, "n", 1), ins(1, "tags", 0, str("x"), 4),
				set(1, "tags", 1, str("y")), mov(1, "tags", 0, 3, 5), era(1, "tags", 0, 5), clr(1, "refs")),
			want: seq(erase(1))},
		{name: "other objects are unaffected",
			a:    cs(1, 1, erase(2)),
			b:    cs(9, 2, upd(1, "n", num(5)), upd(2, "n", num(6))),
			want: seq(erase(2), upd(1, "n", num(5)))},
	})
}

func TestEraseVsErase_NewerKeptOlderDiscarded(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "same object",
			a:    cs(1, 1, erase(2)),
			b:    cs(2, 2, erase(2)),
			want: seq(erase(2))},
		{name: "overlapping sets of objects",
			a:    cs(1, 1, erase(2)),
			b:    cs(2, 2, erase(3), erase(2)),
			want: seq(erase(2), erase(3))},
		// Dropping both erases let whoever erased more often win: the older
		// side's second erase would beat the newer side's re-create.
		{name: "a newer erase-and-create beats an older side that erased twice",
			a:    cs(1, 1, erase(2), create(2), erase(2)),
			b:    cs(9, 2, erase(2), create(2), upd(2, "n", num(7))),
			want: seq(erase(2), create(2), upd(2, "n", num(7)))},
		{name: "a newer erase beats the re-create that follows an older erase",
			a:    cs(1, 1, erase(2), create(2), upd(2, "n", num(7))),
			b:    cs(9, 2, erase(2)),
			want: seq(erase(2))},
		{name: "equal timestamps: the higher file ident is newer",
			a:    cs(5, 1, erase(2), create(2)),
			b:    cs(5, 2, erase(2)),
			want: seq(erase(2))},
	})
	// The transformed forms: the newer erase stays, the older is dropped.
	for _, c := range []struct {
		name         string
		a, b         *changeset.Changeset
		wantA, wantB int // instructions left in a2 and b2
	}{
		{"a older", cs(1, 1, erase(2)), cs(2, 2, erase(2)), 0, 1},
		{"a newer", cs(3, 1, erase(2)), cs(2, 2, erase(2)), 1, 0},
		{"same timestamp, a has the higher ident", cs(2, 3, erase(2)), cs(2, 2, erase(2)), 1, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			a2, b2, err := merge.Transform(c.a, c.b)
			require.NoError(t, err)
			require.Len(t, a2.Instructions, c.wantA)
			require.Len(t, b2.Instructions, c.wantB)
		})
	}
}

func TestCreateAfterErase_BringsObjectBack(t *testing.T) {
	recreate := cs(1, 1, erase(2), create(2), upd(2, "n", num(7)))
	runRules(t, []ruleCase{
		{name: "against a newer update of the old object",
			a:    recreate,
			b:    cs(9, 2, upd(2, "s", str("x"))),
			want: seq(erase(2), create(2), upd(2, "n", num(7)))},
		{name: "against an older erase of the old object",
			a:    cs(9, 1, erase(2), create(2), upd(2, "n", num(7))),
			b:    cs(1, 2, erase(2)),
			want: seq(erase(2), create(2), upd(2, "n", num(7)))},
	})
}

func TestUpdateVsUpdate_HigherDiscriminantWins(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "higher timestamp wins (ours)",
			a:    cs(5, 1, upd(1, "n", num(1))),
			b:    cs(3, 2, upd(1, "n", num(2))),
			want: seq(upd(1, "n", num(1)))},
		{name: "higher timestamp wins (theirs)",
			a:    cs(3, 1, upd(1, "n", num(1))),
			b:    cs(5, 2, upd(1, "n", num(2))),
			want: seq(upd(1, "n", num(2)))},
		{name: "equal timestamps: higher file ident wins",
			a:    cs(4, 7, upd(1, "n", num(1))),
			b:    cs(4, 3, upd(1, "n", num(2))),
			want: seq(upd(1, "n", num(1)))},
		{name: "a clock stepped back: only the discriminant counts",
			a:    cs(-10, 1, upd(1, "s", str("x"))),
			b:    cs(0, 2, upd(1, "s", null)),
			want: seq(upd(1, "s", null))},
		{name: "link fields too",
			a:    cs(2, 1, upd(1, "ref", link(2))),
			b:    cs(1, 2, upd(1, "ref", link(3))),
			want: seq(upd(1, "ref", link(2)))},
	})
}

func TestUpdateVsUpdate_NonDefaultBeatsDefault(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "newer default loses (ours)",
			a:    cs(9, 1, dflt(upd(1, "n", num(1)))),
			b:    cs(1, 2, upd(1, "n", num(2))),
			want: seq(upd(1, "n", num(2)))},
		{name: "newer default loses (theirs)",
			a:    cs(1, 1, upd(1, "n", num(2))),
			b:    cs(9, 2, dflt(upd(1, "n", num(1)))),
			want: seq(upd(1, "n", num(2)))},
	})
}

func TestUpdateVsUpdate_BothDefault_LastWriterWins(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "newer default wins",
			a:    cs(9, 1, dflt(upd(1, "n", num(1)))),
			b:    cs(1, 2, dflt(upd(1, "n", num(2)))),
			want: seq(upd(1, "n", num(1)))},
	})
}

func TestAddIntegerVsAddInteger_BothApply(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "deltas add up",
			a:    cs(1, 1, add(1, "n", 2)),
			b:    cs(2, 2, add(1, "n", 3), add(1, "n", -1)),
			want: seq(upd(1, "n", num(4)))},
	})
}

func TestAddIntegerVsUpdate(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "add later than the update: delta folded into the update",
			a:    cs(5, 1, add(1, "n", 2)),
			b:    cs(3, 2, upd(1, "n", num(10))),
			want: seq(upd(1, "n", num(12)))},
		{name: "add earlier than the update: discarded",
			a:    cs(1, 1, add(1, "n", 2)),
			b:    cs(3, 2, upd(1, "n", num(10))),
			want: seq(upd(1, "n", num(10)))},
		{name: "update is a default: delta folded whatever the time",
			a:    cs(1, 1, add(1, "n", 2)),
			b:    cs(9, 2, dflt(upd(1, "n", num(10)))),
			want: seq(upd(1, "n", num(12)))},
		{name: "add after an update to null does nothing",
			a:    cs(5, 1, add(1, "on", 2)),
			b:    cs(3, 2, upd(1, "on", null)),
			want: seq(upd(1, "on", null))},
		{name: "adds before and after the update in one changeset",
			a:    cs(5, 1, add(1, "n", 1)),
			b:    cs(3, 2, add(1, "n", 2), upd(1, "n", num(10)), add(1, "n", 4)),
			want: seq(upd(1, "n", num(15)))},
	})
}

func TestListInsert_SameIndex_LowerDiscriminantFirst(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "ours lower",
			a:    cs(1, 1, ins(1, "tags", 1, str("x"), 4)),
			b:    cs(2, 2, ins(1, "tags", 1, str("y"), 4)),
			want: tags("a", "x", "y", "b", "c", "d")},
		{name: "theirs lower",
			a:    cs(3, 1, ins(1, "tags", 1, str("x"), 4)),
			b:    cs(2, 2, ins(1, "tags", 1, str("y"), 4)),
			want: tags("a", "y", "x", "b", "c", "d")},
		{name: "equal timestamps: lower file ident first",
			a:    cs(2, 5, ins(1, "tags", 1, str("x"), 4)),
			b:    cs(2, 4, ins(1, "tags", 1, str("y"), 4)),
			want: tags("a", "y", "x", "b", "c", "d")},
	})
}

func TestListInsert_AppendsBothSurvive(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "different values",
			a:    cs(1, 1, ins(1, "tags", 4, str("x"), 4)),
			b:    cs(2, 2, ins(1, "tags", 4, str("y"), 4)),
			want: tags("a", "b", "c", "d", "x", "y")},
		{name: "equal values are not deduplicated",
			a:    cs(1, 1, ins(1, "tags", 4, str("x"), 4)),
			b:    cs(2, 2, ins(1, "tags", 4, str("x"), 4)),
			want: tags("a", "b", "c", "d", "x", "x")},
	})
}

func TestListErase_SameElement_ErasedOnce(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "same element",
			a:    cs(1, 1, era(1, "tags", 1, 4)),
			b:    cs(2, 2, era(1, "tags", 1, 4)),
			want: tags("a", "c", "d")},
		{name: "different elements",
			a:    cs(1, 1, era(1, "tags", 0, 4)),
			b:    cs(2, 2, era(1, "tags", 3, 4)),
			want: tags("b", "c")},
	})
}

func TestListUpdateOfErasedElement_Dropped(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "newer update of the erased element",
			a:    cs(1, 1, era(1, "tags", 2, 4)),
			b:    cs(9, 2, set(1, "tags", 2, str("z"))),
			want: tags("a", "b", "d")},
	})
}

func TestListMoveOfErasedElement_EraseWins(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "newer move of the erased element",
			a:    cs(1, 1, era(1, "tags", 1, 4)),
			b:    cs(9, 2, mov(1, "tags", 1, 3, 4)),
			want: tags("a", "c", "d")},
	})
}

func TestListMoveVsMove_SameElement_LaterWins(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "ours later",
			a:    cs(5, 1, mov(1, "tags", 0, 3, 4)),
			b:    cs(3, 2, mov(1, "tags", 0, 1, 4)),
			want: tags("b", "c", "d", "a")},
		{name: "theirs later",
			a:    cs(3, 1, mov(1, "tags", 0, 3, 4)),
			b:    cs(5, 2, mov(1, "tags", 0, 1, 4)),
			want: tags("b", "a", "c", "d")},
	})
}

func TestListMoveVsMove_DifferentElements_BothMove(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "first to the end and last to the front",
			a:    cs(1, 1, mov(1, "tags", 0, 3, 4)),
			b:    cs(2, 2, mov(1, "tags", 3, 0, 4)),
			want: tags("d", "b", "c", "a")},
		{name: "a swap on both sides agrees",
			a:    cs(1, 1, mov(1, "tags", 0, 1, 4)),
			b:    cs(2, 2, mov(1, "tags", 1, 0, 4)),
			want: tags("b", "a", "c", "d")},
	})
}

func TestListIndexes_ShiftPastEachOther(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "insert before an erase",
			a:    cs(1, 1, ins(1, "tags", 0, str("x"), 4)),
			b:    cs(2, 2, era(1, "tags", 2, 4)),
			want: tags("x", "a", "b", "d")},
		{name: "an insert lands among the elements not moved",
			a:    cs(1, 1, ins(1, "tags", 1, str("x"), 4)),
			b:    cs(2, 2, mov(1, "tags", 0, 3, 4)),
			want: tags("x", "b", "c", "d", "a")},
		{name: "erase of another element than the one moved",
			a:    cs(1, 1, era(1, "tags", 1, 4)),
			b:    cs(2, 2, mov(1, "tags", 0, 3, 4)),
			want: tags("c", "d", "a")},
	})
}

func TestListElementUpdate_FollowsItsElement(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "past an insert before it",
			a:    cs(1, 1, ins(1, "tags", 0, str("x"), 4)),
			b:    cs(2, 2, set(1, "tags", 1, str("z"))),
			want: tags("x", "a", "z", "c", "d")},
		{name: "past an erase before it",
			a:    cs(1, 1, era(1, "tags", 0, 4)),
			b:    cs(2, 2, set(1, "tags", 1, str("z"))),
			want: tags("z", "c", "d")},
		{name: "past a move of the element",
			a:    cs(1, 1, mov(1, "tags", 0, 3, 4)),
			b:    cs(2, 2, set(1, "tags", 0, str("z"))),
			want: tags("b", "c", "d", "z")},
		{name: "two updates of the element: higher discriminant wins",
			a:    cs(1, 1, set(1, "tags", 2, str("y"))),
			b:    cs(2, 2, set(1, "tags", 2, str("z"))),
			want: tags("a", "b", "z", "d")},
		{name: "two updates of the element: non-default beats default",
			a:    cs(1, 1, set(1, "tags", 2, str("y"))),
			b:    cs(2, 2, dflt(set(1, "tags", 2, str("z")))),
			want: tags("a", "b", "y", "d")},
	})
}

func TestClear_DiscardsConcurrentInsideList(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "newer insert, erase, move and update are discarded",
			a: cs(1, 1, clr(1, "tags")),
			b: cs(9, 2, ins(1, "tags", 0, str("x"), 4), era(1, "tags", 1, 5), mov(1, "tags", 0, 3, 4),
				set(1, "tags", 0, str("z"))),
			want: tags()},
		{name: "the clear's own later inserts stay",
			a:    cs(1, 1, clr(1, "tags"), ins(1, "tags", 0, str("x"), 0)),
			b:    cs(9, 2, ins(1, "tags", 4, str("y"), 4)),
			want: tags("x")},
		{name: "other lists are untouched",
			a:    cs(1, 1, clr(1, "tags")),
			b:    cs(9, 2, ins(1, "refs", 0, link(3), 2)),
			want: seq(tags(), setList(1, "refs", link(3), link(2), link(3)))},
	})
}

func TestClearVsClear_NewerWinsWithItsInserts(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "ours newer",
			a:    cs(5, 1, clr(1, "tags"), ins(1, "tags", 0, str("x"), 0), ins(1, "tags", 1, str("y"), 1)),
			b:    cs(3, 2, clr(1, "tags"), ins(1, "tags", 0, str("z"), 0)),
			want: tags("x", "y")},
		{name: "theirs newer",
			a:    cs(3, 1, clr(1, "tags"), ins(1, "tags", 0, str("x"), 0), ins(1, "tags", 1, str("y"), 1)),
			b:    cs(5, 2, clr(1, "tags"), ins(1, "tags", 0, str("z"), 0)),
			want: tags("z")},
		{name: "what the newer side did before its clear is cleared too",
			a:    cs(5, 1, ins(1, "tags", 0, str("x"), 4), clr(1, "tags"), ins(1, "tags", 0, str("w"), 0)),
			b:    cs(3, 2, clr(1, "tags"), ins(1, "tags", 0, str("z"), 0)),
			want: tags("w")},
	})
}

func TestSameChangeset_LaterInstructionsSeeEarlierPositions(t *testing.T) {
	runRules(t, []ruleCase{
		{name: "inserts and erases on both sides",
			// ours: [a b c d] -> [x a b c d] -> [y x a b c d] -> [y x a c d]
			a: cs(1, 1, ins(1, "tags", 0, str("x"), 4), ins(1, "tags", 0, str("y"), 5), era(1, "tags", 3, 6)),
			// theirs: [a b c d] -> [b c d] -> [b c d z]
			b:    cs(2, 2, era(1, "tags", 0, 4), ins(1, "tags", 3, str("z"), 3)),
			want: tags("y", "x", "c", "d", "z")},
		{name: "a move then an update of the moved element",
			// In the same gap, an inserted element keeps the side of the
			// moved element it was inserted on: x went in before d.
			a:    cs(1, 1, mov(1, "tags", 3, 0, 4), set(1, "tags", 0, str("D"))),
			b:    cs(2, 2, ins(1, "tags", 0, str("x"), 4)),
			want: tags("x", "D", "a", "b", "c")},
	})
}

func TestSchema_IdenticalAddTableAndAddColumnMerge(t *testing.T) {
	note := func(in ...changeset.Instruction) []changeset.Instruction {
		return append([]changeset.Instruction{
			{Op: changeset.AddTable, Class: "Note", PKKind: schema.String},
			{Op: changeset.AddColumn, Class: "Note", Field: "text", Type: schema.PropType{Kind: schema.String}},
		}, in...)
	}
	obj := func(k string) changeset.Instruction {
		return changeset.Instruction{Op: changeset.CreateObject, Class: "Note", PK: changeset.StrPK(k)}
	}
	text := func(k, v string) changeset.Instruction {
		return changeset.Instruction{Op: changeset.Update, Class: "Note", PK: changeset.StrPK(k), Field: "text", Value: str(v)}
	}
	about := func(nullable bool) changeset.Instruction {
		return changeset.Instruction{Op: changeset.AddColumn, Class: "Note", Field: "about",
			Type: schema.PropType{Kind: schema.Link, Target: item, Nullable: nullable}}
	}
	runRules(t, []ruleCase{
		{name: "both sides add the same class and property",
			a:    cs(1, 1, note(obj("n1"), text("n1", "x"))...),
			b:    cs(2, 2, note(obj("n2"), text("n2", "y"))...),
			want: note(obj("n1"), text("n1", "x"), obj("n2"), text("n2", "y"))},
		{name: "link properties differing only in nullability are the same",
			a:    cs(1, 1, note(about(true))...),
			b:    cs(2, 2, note(about(false))...),
			want: note(about(true))},
	})
}

func TestSchema_ConflictingAddsAreMismatch(t *testing.T) {
	tests := []struct {
		name string
		a, b changeset.Instruction
	}{
		{"AddTable with other primary key kinds",
			changeset.Instruction{Op: changeset.AddTable, Class: "Note", PKKind: schema.String},
			changeset.Instruction{Op: changeset.AddTable, Class: "Note", PKKind: schema.Int}},
		{"AddColumn with other types",
			changeset.Instruction{Op: changeset.AddColumn, Class: item, Field: "x", Type: schema.PropType{Kind: schema.Int}},
			changeset.Instruction{Op: changeset.AddColumn, Class: item, Field: "x", Type: schema.PropType{Kind: schema.Int, Nullable: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := merge.Transform(cs(1, 1, tt.a), cs(2, 2, tt.b))
			require.ErrorIs(t, err, merge.ErrSchemaMismatch)
			require.ErrorIs(t, err, store.ErrSchemaMismatch)
		})
	}
}

func TestEraseTable_WinsOverEverythingInside(t *testing.T) {
	eraseItem := changeset.Instruction{Op: changeset.EraseTable, Class: item}
	runRules(t, []ruleCase{
		{name: "objects, values, lists and schema of the class",
			a: cs(1, 1, eraseItem),
			b: cs(9, 2, create(9), upd(1, "n", num(5)), ins(1, "tags", 0, str("x"), 4), erase(2),
				changeset.Instruction{Op: changeset.AddTable, Class: item, PKKind: schema.Int},
				changeset.Instruction{Op: changeset.AddColumn, Class: item, Field: "extra", Type: schema.PropType{Kind: schema.Int}},
				changeset.Instruction{Op: changeset.EraseColumn, Class: item, Field: "s"}),
			want: seq(eraseItem)},
		{name: "two erases erase once",
			a:    cs(1, 1, eraseItem),
			b:    cs(2, 2, eraseItem),
			want: seq(eraseItem)},
	})
}

func TestEraseColumn_WinsOverEverythingOnIt(t *testing.T) {
	eraseCol := func(f string) changeset.Instruction {
		return changeset.Instruction{Op: changeset.EraseColumn, Class: item, Field: f}
	}
	runRules(t, []ruleCase{
		{name: "list instructions on the property in any object",
			a:    cs(1, 1, eraseCol("tags")),
			b:    cs(9, 2, ins(1, "tags", 0, str("x"), 4), set(1, "tags", 0, str("z")), clr(2, "tags"), upd(1, "n", num(5))),
			want: seq(eraseCol("tags"), upd(1, "n", num(5)))},
		{name: "updates and adds of the property",
			a:    cs(1, 1, eraseCol("n")),
			b:    cs(9, 2, upd(1, "n", num(5)), add(2, "n", 1)),
			want: seq(eraseCol("n"))},
		{name: "an AddColumn of the property",
			a:    cs(1, 1, eraseCol("n")),
			b:    cs(9, 2, changeset.Instruction{Op: changeset.AddColumn, Class: item, Field: "n", Type: schema.PropType{Kind: schema.Int}}),
			want: seq(eraseCol("n"))},
		{name: "two erases erase once",
			a:    cs(1, 1, eraseCol("s")),
			b:    cs(2, 2, eraseCol("s")),
			want: seq(eraseCol("s"))},
	})
}

func TestLinks_ToErasedObjectDangle(t *testing.T) {
	base := fixture(t)
	ab, _ := converge(t, base,
		cs(1, 1, erase(2)),
		cs(2, 2, upd(3, "ref", link(2)), ins(1, "refs", 0, link(2), 2)))

	stored, err := ab.Stored(item, pk(3), "ref")
	require.NoError(t, err)
	require.Equal(t, link(2), stored, "the stored link stays")
	visible, err := ab.Get(item, pk(3), "ref")
	require.NoError(t, err)
	require.True(t, visible.Null(), "a dangling link reads as null")

	storedList, err := ab.StoredList(item, pk(1), "refs")
	require.NoError(t, err)
	require.Equal(t, []changeset.Value{link(2), link(2), link(3)}, storedList, "dangling entries keep their places")
	visibleList, err := ab.List(item, pk(1), "refs")
	require.NoError(t, err)
	require.Equal(t, []changeset.Value{link(3)}, visibleList, "dangling entries are hidden")
}

func TestTransform_RejectsBadInput(t *testing.T) {
	tests := []struct {
		name string
		a, b *changeset.Changeset
	}{
		{"equal discriminants", cs(1, 1, upd(1, "n", num(1))), cs(1, 1, upd(1, "n", num(2)))},
		{"prior sizes disagree", cs(1, 1, ins(1, "tags", 0, str("x"), 4)), cs(2, 2, era(1, "tags", 0, 3))},
		{"element update beyond the list", cs(1, 1, set(1, "tags", 4, str("x"))), cs(2, 2, era(1, "tags", 0, 4))},
		{"invalid instruction", cs(1, 1, changeset.Instruction{Op: changeset.Op(99), Class: item}), cs(2, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := merge.Transform(tt.a, tt.b)
			require.ErrorIs(t, err, merge.ErrBadChangeset)
		})
	}
}

func TestTransformSeqBounded_FailsPastTheBound(t *testing.T) {
	a, b := cs(1, 1, upd(1, "n", num(1))), cs(2, 2, upd(1, "n", num(2)), upd(2, "n", num(3)))
	_, _, err := merge.TransformSeqBounded([]*changeset.Changeset{a}, []*changeset.Changeset{b}, 0, 2)
	require.ErrorIs(t, err, merge.ErrTooLarge)
	_, _, err = merge.TransformSeqBounded([]*changeset.Changeset{a}, []*changeset.Changeset{b}, 0, 3)
	require.NoError(t, err)
}
