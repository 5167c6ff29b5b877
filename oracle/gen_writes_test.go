package oracle

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
	"pgregory.net/rapid"
)

// genWrites records a history of clients that write and read one realm:
// each step one client integrates what has arrived, then sets a task's
// title, inserts a tag or reads a title. Every changeset reaches every
// other client after a random delay, and is acknowledged. Timestamps are
// the real time of the write, so the last writer by discriminant is also
// the last in time, and each replica is a last-writer-wins map: the
// history is correct, and its final state is the one the merge rules give.
func genWrites(seed uint64, clients, steps int) *history.History {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	h := &hist{}
	type version struct {
		value history.Value
		ts    int64
		file  uint64
	}
	type arrival struct {
		at  int64
		id  history.ChangesetID
		val history.Value // of a title update; null for a tag insert
		ts  int64
		obj string
	}
	replicas := make([]map[string]version, clients)
	pending := make([][]arrival, clients)
	versions := make([]uint64, clients)
	final := map[string]history.PlainObject{}
	finalTS := map[string]version{}
	for k := range 10 {
		final[history.ObjectName("Task", history.Int(int64(k)))] = obj("Task", nil, nil)
	}
	for i := range replicas {
		replicas[i] = map[string]version{}
	}
	apply := func(m map[string]version, object string, v version) {
		if cur, ok := m[object]; !ok || cur.ts < v.ts || (cur.ts == v.ts && cur.file < v.file) {
			m[object] = v
		}
	}
	words := []string{"a", "b", "c", "d", "e", "f"}
	for s := range steps {
		now := int64(s+1) * 10
		c := r.IntN(clients)
		name := fmt.Sprintf("c%d", c)
		file := uint64(c + 1)
		kept := pending[c][:0]
		for _, a := range pending[c] {
			if a.at < now {
				if a.val.Kind != history.KindNull {
					apply(replicas[c], a.obj, version{a.val, a.ts, a.id.File})
				}
				continue
			}
			kept = append(kept, a)
		}
		pending[c] = kept
		object := history.ObjectName("Task", history.Int(int64(r.IntN(10))))
		if r.IntN(3) == 0 {
			v, ok := replicas[c][object]
			if !ok {
				continue // nothing written yet: nothing to judge
			}
			h.Reads = append(h.Reads, history.Read{Client: name, Realm: testRealm, Object: object, Field: "title", Value: v.value.String(), Call: now, Return: now})
			continue
		}
		versions[c]++
		cs := id(file, versions[c])
		word := history.Str(words[r.IntN(len(words))])
		var eff history.FieldValue
		var title history.Value
		if r.IntN(4) == 0 {
			eff = insert(object, "tags", word)
			o := final[object]
			o.Lists["tags"] = append(o.Lists["tags"], word)
		} else {
			eff, title = set(object, "title", word), word
			apply(replicas[c], object, version{word, now, file})
			apply(finalTS, object, version{word, now, file})
		}
		h.write(history.WriteID(s+1), name, cs, now, now, eff)
		h.acked(name, file, versions[c], now+5+10*int64(r.IntN(5)))
		for o := range clients {
			if o != c {
				at := now + 5 + 10*int64(r.IntN(8))
				pending[o] = append(pending[o], arrival{at, cs, title, now, object})
				h.received(fmt.Sprintf("c%d", o), uint64(o+1), at, cs)
			}
		}
	}
	for object, v := range finalTS {
		final[object].Fields["title"] = v.value
	}
	h.final(final)
	slices.SortStableFunc(h.Downloads, func(a, b history.Download) int { return int(a.Return - b.Return) })
	return &h.History
}

func TestGeneratedWriteHistoriesPassAccountingAndSessions(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := genWrites(rapid.Uint64().Draw(t, "seed"), rapid.IntRange(1, 4).Draw(t, "clients"), rapid.IntRange(1, 80).Draw(t, "steps"))
		require.NoError(t, h.Validate())
		acc := CheckAccounting(h)
		require.True(t, acc.Pass, "%v", acc.Failures)
		require.Zero(t, acc.Buckets[BucketLost])
		sess := CheckSessions(h)
		require.True(t, sess.Pass, "%v", sess.Failures)
	})
}

// Replacing a title of the final state by a value nobody wrote loses the
// write that set it last.
func TestGeneratedWriteHistoriesWithALostValueFail(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := genWrites(rapid.Uint64().Draw(t, "seed"), rapid.IntRange(1, 4).Draw(t, "clients"), rapid.IntRange(1, 80).Draw(t, "steps"))
		var titled []string
		for _, name := range slices.Sorted(maps.Keys(h.Convergence.Final[0].Objects)) {
			if !h.Convergence.Final[0].Objects[name].Fields["title"].Equal(history.Value{}) {
				titled = append(titled, name)
			}
		}
		if len(titled) == 0 {
			t.Skip("no title written")
		}
		name := rapid.SampledFrom(titled).Draw(t, "object")
		h.Convergence.Final[0].Objects[name].Fields["title"] = history.Str("nobody wrote this")
		acc := CheckAccounting(h)
		require.False(t, acc.Pass)
		require.Positive(t, acc.Buckets[BucketLost])
		require.Contains(t, acc.Failures[0], name+".title")
	})
}

func BenchmarkAccountingAndSessions(b *testing.B) {
	h := genWrites(1, 4, 3000) // about 2,000 writes and 1,000 reads, workload S's size
	b.ReportMetric(float64(len(h.Writes)), "writes")
	b.ReportMetric(float64(len(h.Reads)), "reads")
	for b.Loop() {
		if acc := CheckAccounting(h); !acc.Pass {
			b.Fatalf("accounting: %v", acc.Failures)
		}
		if s := CheckSessions(h); !s.Pass {
			b.Fatalf("sessions: %v", s.Failures)
		}
	}
}
