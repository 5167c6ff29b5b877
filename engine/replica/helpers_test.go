package replica

import (
	"time"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/sim/disk"
	"github.com/syncsim/syncsim/sim/rng"
)

// stepClock is a wall clock the test sets; the replica uses no timers.
type stepClock struct{ now env.Time }

func (c *stepClock) Now() env.Time { return c.now }

func (c *stepClock) AfterFunc(time.Duration, func()) env.Timer {
	panic("the replica sets no timers")
}

func newDisk(t require.TestingT, seed uint64) *disk.Disk {
	d, err := disk.New(rng.New(seed), "client", nil, nil, disk.Options{})
	require.NoError(t, err)
	return d
}

var (
	intT    = schema.PropType{Kind: schema.Int}
	strT    = schema.PropType{Kind: schema.String, Nullable: true}
	linkT   = schema.PropType{Kind: schema.Link, Target: "Dog"}
	linksT  = schema.PropType{Kind: schema.Link, Target: "Dog", List: true}
	intsT   = schema.PropType{Kind: schema.Int, List: true}
	testSch = schema.Schema{Classes: []schema.Class{
		{Name: "Dog", PKKind: schema.Int, Props: []schema.Property{
			{Name: "age", Type: intT}, {Name: "name", Type: strT}, {Name: "best", Type: linkT},
		}},
		{Name: "Person", PKKind: schema.String, Props: []schema.Property{
			{Name: "dogs", Type: linksT}, {Name: "n", Type: intT}, {Name: "nums", Type: intsT},
		}},
	}}
)

func openTest(t require.TestingT, st env.Storage, clk env.Clock) *Replica {
	r, err := Open(st, "realm", clk, testSch)
	require.NoError(t, err)
	return r
}

func str(s string) changeset.Value { return changeset.Value{Kind: schema.String, Str: s} }
func num(i int64) changeset.Value  { return changeset.Value{Kind: schema.Int, Int: i} }
func dog(i int64) changeset.Value {
	return changeset.Value{Kind: schema.Link, Class: "Dog", Target: changeset.IntPK(i)}
}

var (
	alice = changeset.StrPK("alice")
	rex   = changeset.IntPK(1)
)

// ops lists the ops of a changeset's instructions.
func ops(cs *changeset.Changeset) []changeset.Op {
	var out []changeset.Op
	for _, in := range cs.Instructions {
		out = append(out, in.Op)
	}
	return out
}
