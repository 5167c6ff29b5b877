package oracle

// Builders for writes, plain states and their histories.

var (
	t1 = ObjectName("Task", Int(1))
	t2 = ObjectName("Task", Int(2))
	p1 = ObjectName("Person", Str("p1"))
	p2 = ObjectName("Person", Str("p2"))
)

// testSchema: tasks with an optional title, a counter, a list of tags, an
// owner and a list of watchers; people with a name.
var testSchema = map[string]PlainClass{
	"Task": {PK: KindInt, Props: map[string]PlainProp{
		"title":    {Kind: KindString, Nullable: true},
		"done":     {Kind: KindInt},
		"tags":     {Kind: KindString, List: true},
		"owner":    {Kind: KindLink, Nullable: true, Target: "Person"},
		"watchers": {Kind: KindLink, List: true, Target: "Person"},
	}},
	"Person": {PK: KindString, Props: map[string]PlainProp{"name": {Kind: KindString}}},
}

// fields sets scalar fields: name, value, name, value...
type fields map[string]Value

// lists sets list fields.
type lists map[string][]Value

// obj is an object of class with every property at its default, then
// the given fields and lists.
func obj(class string, f fields, l lists) PlainObject {
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
func state(objects map[string]PlainObject) PlainState {
	if objects == nil {
		objects = map[string]PlainObject{}
	}
	return PlainState{Schema: testSchema, Objects: objects}
}

func set(object, field string, v Value) FieldValue {
	return FieldValue{Object: object, Field: field, Value: v.String(), Link: v.Link}
}

func setDefault(object, field string, v Value) FieldValue {
	f := set(object, field, v)
	f.Default = true
	return f
}

func create(object string) FieldValue { return FieldValue{Object: object, Op: EffectCreate} }
func erase(object string) FieldValue  { return FieldValue{Object: object, Op: EffectErase} }

func add(object, field string, delta int64) FieldValue {
	return FieldValue{Object: object, Field: field, Value: Int(delta).String(), Op: EffectAdd}
}

func insert(object, field string, v Value) FieldValue {
	f := set(object, field, v)
	f.Op = EffectInsert
	return f
}

func eraseElement(object, field string) FieldValue {
	return FieldValue{Object: object, Field: field, Op: EffectEraseElement}
}

// write records write id of client: changeset cs at discriminant
// timestamp ts, committed at time at.
func (h *hist) write(id WriteID, client string, cs ChangesetID, ts, at int64, effects ...FieldValue) {
	h.Writes = append(h.Writes, Write{Client: client, Realm: testRealm, ID: id, Changeset: cs, Timestamp: ts,
		Call: at, Return: at, Fields: effects})
}

// acked records a DOWNLOAD acknowledging file's versions up to acked.
func (h *hist) acked(client string, file, acked uint64, at int64) {
	h.Downloads = append(h.Downloads, Download{Client: client, Realm: testRealm, File: file, Call: at, Return: at,
		Outcome: OutcomeOK, Acked: acked})
}

// received records a DOWNLOAD carrying changesets ids to client.
func (h *hist) received(client string, file uint64, at int64, ids ...ChangesetID) {
	d := Download{Client: client, Realm: testRealm, File: file, Call: at, Return: at, Outcome: OutcomeOK}
	for i, id := range ids {
		d.Entries = append(d.Entries, Entry{ServerVersion: uint64(i + 1), ID: id})
	}
	h.Downloads = append(h.Downloads, d)
}

// final records the realm's final state on the server.
func (h *hist) final(objects map[string]PlainObject) {
	h.Convergence = &Convergence{HealAt: 0, Deadline: Infinite,
		Final: []FinalState{{Realm: testRealm, PlainState: state(objects)}}}
}

func (h *hist) reset(r Reset) {
	r.Realm = testRealm
	h.Resets = append(h.Resets, r)
}
