package workload

import (
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/sim/rng"
)

// TaskSchema is the schema of the sync workloads: tasks with a title, a
// counter, an optional priority, a list of tags and an owner; people with
// a name. Small key spaces make concurrent writes collide often.
var TaskSchema = schema.Schema{Classes: []schema.Class{
	{Name: "Task", PKKind: schema.Int, Props: []schema.Property{
		{Name: "title", Type: schema.PropType{Kind: schema.String}},
		{Name: "done", Type: schema.PropType{Kind: schema.Int}},
		{Name: "prio", Type: schema.PropType{Kind: schema.Int, Nullable: true}},
		{Name: "tags", Type: schema.PropType{Kind: schema.String, List: true}},
		{Name: "owner", Type: schema.PropType{Kind: schema.Link, Nullable: true, Target: "Person"}},
		{Name: "watchers", Type: schema.PropType{Kind: schema.Link, List: true, Target: "Person"}},
	}},
	{Name: "Person", PKKind: schema.String, Props: []schema.Property{
		{Name: "name", Type: schema.PropType{Kind: schema.String}},
	}},
}}

const (
	taskKeys   = 12
	personKeys = 5
)

var words = []string{"alpha", "beta", "gamma", "delta", "eps", "zeta", "eta", "theta"}

func str(s string) changeset.Value { return changeset.Value{Kind: schema.String, Str: s} }
func num(i int64) changeset.Value  { return changeset.Value{Kind: schema.Int, Int: i} }
func person(pk string) changeset.Value {
	return changeset.Value{Kind: schema.Link, Class: "Person", Target: changeset.StrPK(pk)}
}

// Writer runs write transactions: a replica, or an open synced realm.
type Writer interface {
	Write(fn func(tx *replica.Tx) error) (uint64, error)
}

// RandomTransaction runs one write transaction of 1 to 3 random operations
// on rep, drawn from r. Operations that do not fit the current state are
// skipped; a transaction may therefore commit nothing.
func RandomTransaction(rep Writer, r *rng.Stream) (uint64, error) {
	n := 1 + r.IntN(3)
	return rep.Write(func(tx *replica.Tx) error {
		for i := 0; i < n; i++ {
			randomOp(tx, r) // an operation that does not fit is simply not made
		}
		return nil
	})
}

func randomOp(tx *replica.Tx, r *rng.Stream) error {
	st := tx.State()
	task := changeset.IntPK(int64(r.IntN(taskKeys)))
	who := fmt.Sprintf("p%d", r.IntN(personKeys))
	if !st.Exists("Task", task) {
		if r.Chance(0.7) {
			return tx.Create("Task", task)
		}
		if !st.Exists("Person", changeset.StrPK(who)) {
			return tx.Upsert("Person", changeset.StrPK(who), map[string]changeset.Value{"name": str(words[r.IntN(len(words))])})
		}
		return nil
	}
	tags, _ := st.List("Task", task, "tags")
	watchers, _ := st.List("Task", task, "watchers")
	switch k := r.IntN(100); {
	case k < 4:
		return tx.Erase("Task", task)
	case k < 20:
		return tx.Set("Task", task, "title", str(words[r.IntN(len(words))]))
	case k < 23:
		return tx.SetDefault("Task", task, "title", str("untitled"))
	case k < 35:
		return tx.Add("Task", task, "done", int64(r.IntN(9))-4)
	case k < 40:
		if r.Chance(0.3) {
			return tx.Set("Task", task, "prio", changeset.Value{})
		}
		return tx.Set("Task", task, "prio", num(int64(r.IntN(5))))
	case k < 55:
		return tx.ListInsert("Task", task, "tags", r.IntN(len(tags)+1), str(words[r.IntN(len(words))]))
	case k < 60 && len(tags) > 0:
		return tx.ListSet("Task", task, "tags", r.IntN(len(tags)), str(words[r.IntN(len(words))]))
	case k < 65 && len(tags) > 1:
		return tx.ListMove("Task", task, "tags", r.IntN(len(tags)), r.IntN(len(tags)))
	case k < 72 && len(tags) > 0:
		return tx.ListErase("Task", task, "tags", r.IntN(len(tags)))
	case k < 74:
		return tx.ListClear("Task", task, "tags")
	case k < 82:
		if !st.Exists("Person", changeset.StrPK(who)) {
			return tx.Create("Person", changeset.StrPK(who))
		}
		return tx.Set("Task", task, "owner", person(who))
	case k < 88:
		if !st.Exists("Person", changeset.StrPK(who)) {
			return nil
		}
		return tx.ListInsert("Task", task, "watchers", r.IntN(len(watchers)+1), person(who))
	case k < 90 && len(watchers) > 0:
		return tx.ListErase("Task", task, "watchers", r.IntN(len(watchers)))
	case k < 93:
		if st.Exists("Person", changeset.StrPK(who)) {
			return tx.Erase("Person", changeset.StrPK(who))
		}
		return tx.Create("Person", changeset.StrPK(who))
	default:
		return tx.Upsert("Person", changeset.StrPK(who), map[string]changeset.Value{"name": str(words[r.IntN(len(words))])})
	}
}
