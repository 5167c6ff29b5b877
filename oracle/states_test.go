package oracle

import

// Builders for writes, plain states and their histories.
"github.com/syncsim/syncsim/history"

var (
	t1 = history.ObjectName("Task", history.Int(1))
	t2 = history.ObjectName("Task", history.Int(2))
	p1 = history.ObjectName("Person", history.Str("p1"))
	p2 = history.ObjectName("Person", history.Str("p2"))
)

// testSchema: tasks with an optional title, a counter, a list of tags, an
// owner and a list of watchers; people with a name.
var testSchema = map[string]history.PlainClass{
	"Task": {PK: history.KindInt, Props: map[string]history.PlainProp{
		"title":    {Kind: history.KindString, Nullable: true},
		"done":     {Kind: history.KindInt},
		"tags":     {Kind: history.KindString, List: true},
		"owner":    {Kind: history.KindLink, Nullable: true, Target: "Person"},
		"watchers": {Kind: history.KindLink, List: true, Target: "Person"},
	}},
	"Person": {PK: history.KindString, Props: map[string]history.PlainProp{"name": {Kind: history.KindString}}},
}

// fields sets scalar fields: name, value, name, value...
type fields map[string]history.Value

// lists sets list fields.
type lists map[string][]history.Value

// obj is an object of class with every property at its default, then
// the given fields and lists.
func obj(class string, f fields, l lists) history.PlainObject {
	o := newObject(testSchema[class], class)
	for k, v := range f {
		o.Fields[k] = v
	}
	for k, v := range l {
		o.Lists[k] = v
	}
	return o
}

// state is a state of testSchema holding objects (name, object, ...).
func state(objects map[string]history.PlainObject) history.PlainState {
	if objects == nil {
		objects = map[string]history.PlainObject{}
	}
	return history.PlainState{Schema: testSchema, Objects: objects}
}

func set(object, field string, v history.Value) history.FieldValue {
	return history.FieldValue{Object: object, Field: field, Value: v.String(), Link: v.Link}
}

func setDefault(object, field string, v history.Value) history.FieldValue {
	f := set(object, field, v)
	f.Default = true
	return f
}

func create(object string) history.FieldValue {
	return history.FieldValue{Object: object, Op: history.EffectCreate}
}
func erase(object string) history.FieldValue {
	return history.FieldValue{Object: object, Op: history.EffectErase}
}

func add(object, field string, delta int64) history.FieldValue {
	return history.FieldValue{Object: object, Field: field, Value: history.Int(delta).String(), Op: history.EffectAdd}
}

func insert(object, field string, v history.Value) history.FieldValue {
	f := set(object, field, v)
	f.Op = history.EffectInsert
	return f
}

func eraseElement(object, field string) history.FieldValue {
	return history.FieldValue{Object: object, Field: field, Op: history.EffectEraseElement}
}

// write records write id of client: changeset cs at discriminant
// timestamp ts, committed at time at.
func (h *hist) write(id history.WriteID, client string, cs history.ChangesetID, ts, at int64, effects ...history.FieldValue) {
	h.Writes = append(h.Writes, history.Write{Client: client, Realm: testRealm, ID: id, Changeset: cs, Timestamp: ts,
		Call: at, Return: at, Fields: effects})
}

// acked records a DOWNLOAD acknowledging file's versions up to acked.
func (h *hist) acked(client string, file, acked uint64, at int64) {
	h.Downloads = append(h.Downloads, history.Download{Client: client, Realm: testRealm, File: file, Call: at, Return: at,
		Outcome: history.OutcomeOK, Acked: acked})
}

// received records a DOWNLOAD carrying changesets ids to client.
func (h *hist) received(client string, file uint64, at int64, ids ...history.ChangesetID) {
	d := history.Download{Client: client, Realm: testRealm, File: file, Call: at, Return: at, Outcome: history.OutcomeOK}
	for i, id := range ids {
		d.Entries = append(d.Entries, history.Entry{ServerVersion: uint64(i + 1), ID: id})
	}
	h.Downloads = append(h.Downloads, d)
}

// final records the realm's final state on the server.
func (h *hist) final(objects map[string]history.PlainObject) {
	h.Convergence = &history.Convergence{HealAt: 0, Deadline: history.Infinite,
		Final: []history.FinalState{{Realm: testRealm, PlainState: state(objects)}}}
}

func (h *hist) reset(r history.Reset) {
	r.Realm = testRealm
	h.Resets = append(h.Resets, r)
}
