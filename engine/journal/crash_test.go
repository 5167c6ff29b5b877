package journal_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/journal"
	"github.com/syncsim/syncsim/sim/disk"
	"github.com/syncsim/syncsim/sim/rng"
)

// These tests run the journal on the simulated disk, whose crashes lose
// unsynced data or keep a torn prefix of it.

const logName = "log"

// errPowerCut is what a call returns when the power is cut during it.
var errPowerCut = errors.New("power cut")

// cutStorage is a simulated disk whose power can be cut after a chosen
// number of further calls: that call completes, the disk crashes, and the
// call returns errPowerCut. It reaches into the middle of the journal's
// calls, where crashing between them cannot.
type cutStorage struct {
	d    *disk.Disk
	left int // calls until the cut; 0 when none is armed
	cuts int // cuts so far
}

func (s *cutStorage) after(err error) error {
	if s.left == 0 {
		return err
	}
	s.left--
	if s.left > 0 {
		return err
	}
	s.d.Crash()
	s.cuts++
	return errPowerCut
}

func (s *cutStorage) Open(name string) (env.File, error) {
	f, err := s.d.Open(name)
	if err = s.after(err); err != nil {
		return nil, err
	}
	return &cutFile{s: s, f: f}, nil
}

func (s *cutStorage) Remove(name string) error { return s.after(s.d.Remove(name)) }

func (s *cutStorage) Rename(oldName, newName string) error {
	return s.after(s.d.Rename(oldName, newName))
}

func (s *cutStorage) List(prefix string) ([]string, error) { return s.d.List(prefix) }

type cutFile struct {
	s *cutStorage
	f env.File
}

func (c *cutFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.f.ReadAt(p, off)
	return n, c.s.after(err)
}

func (c *cutFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := c.f.WriteAt(p, off)
	return n, c.s.after(err)
}

func (c *cutFile) Size() int64               { return c.f.Size() }
func (c *cutFile) Truncate(size int64) error { return c.s.after(c.f.Truncate(size)) }
func (c *cutFile) Sync() error               { return c.s.after(c.f.Sync()) }
func (c *cutFile) Close() error              { return c.s.after(c.f.Close()) }

// world is a journal on a simulated disk together with a model of what
// the log may hold.
type world struct {
	t  require.TestingT
	st *cutStorage
	j  *journal.Journal
	// appended are the records the log may hold, in order; the first
	// synced of them are durable. After a rewrite cut short by a crash,
	// the log may instead hold exactly alt.
	appended [][]byte
	synced   int
	alt      [][]byte
	made     int // records made so far, numbering each one
}

func newWorld(t require.TestingT, seed uint64, opts disk.Options) *world {
	d, err := disk.New(rng.New(seed).Fork("disk"), "n1", nil, nil, opts)
	require.NoError(t, err)
	w := &world{t: t, st: &cutStorage{d: d}}
	w.reopen()
	return w
}

// record makes a new record, unique so that order is checked, padded to n
// bytes.
func (w *world) record(n int) []byte {
	w.made++
	r := fmt.Appendf(nil, "r%d.", w.made)
	for len(r) < n {
		r = append(r, byte(len(r)))
	}
	return r
}

// expectFault checks that err is one the disk or the power cut explains.
func (w *world) expectFault(err error, what string) {
	require.True(w.t, errors.Is(err, disk.ErrInjected) || errors.Is(err, errPowerCut),
		"%s failed with an unexpected error: %v", what, err)
}

// reopen opens the log, retrying through injected faults, checks what it
// holds against the model and returns it.
func (w *world) reopen() [][]byte {
	for range 100 {
		j, recs, err := journal.Open(w.st, logName)
		if err != nil {
			w.expectFault(err, "Open")
			continue
		}
		w.check(recs)
		w.j, w.appended, w.synced, w.alt = j, recs, len(recs), nil
		return recs
	}
	require.FailNow(w.t, "Open failed 100 times in a row")
	return nil
}

// check asserts that recs is exactly alt, or else a prefix of the appended
// records that holds every synced one.
func (w *world) check(recs [][]byte) {
	if w.alt != nil && equal(recs, w.alt) {
		return
	}
	require.True(w.t, len(recs) >= w.synced && len(recs) <= len(w.appended) && equal(recs, w.appended[:len(recs)]),
		"recovered %q; appended %q, of which %d synced; or exactly %q", recs, w.appended, w.synced, w.alt)
}

func equal(a, b [][]byte) bool { return slices.EqualFunc(a, b, slices.Equal) }

// reopenIfCut reopens the log if the power was cut since cuts.
func (w *world) reopenIfCut(cuts int) {
	if w.st.cuts != cuts {
		w.reopen()
	}
}

func (w *world) append(n int) {
	r := w.record(n)
	require.NoError(w.t, w.j.Append(r))
	w.appended = append(w.appended, r)
}

func (w *world) sync() {
	cuts := w.st.cuts
	if err := w.j.Sync(); err != nil {
		w.expectFault(err, "Sync")
	} else {
		w.synced = len(w.appended)
	}
	w.reopenIfCut(cuts)
}

func (w *world) crash() [][]byte {
	w.st.d.Crash()
	return w.reopen()
}

func (w *world) closeAndReopen() {
	if err := w.j.Close(); err != nil {
		w.expectFault(err, "Close")
	}
	w.reopen()
}

func (w *world) rewrite(recs [][]byte) {
	cuts := w.st.cuts
	err := w.j.Rewrite(recs)
	switch {
	case err == nil:
		w.appended, w.synced = recs, len(recs)
	case w.st.cuts != cuts:
		w.alt = recs
	default:
		w.expectFault(err, "Rewrite") // failed before the rename: nothing changed
	}
	w.reopenIfCut(cuts)
}

// armCut cuts the power after n more storage calls.
func (w *world) armCut(n int) { w.st.left = n }

func TestSyncedRecordsSurviveCrashesAndFaults(t *testing.T) {
	tests := map[string]disk.Options{
		"torn writes":           {TornWriteRate: 1},
		"injected errors":       {ReadErrorRate: 0.3, WriteErrorRate: 0.3, SyncErrorRate: 0.3},
		"errors and torn write": {ReadErrorRate: 0.2, WriteErrorRate: 0.2, SyncErrorRate: 0.3, TornWriteRate: 0.7},
	}
	for name, opts := range tests {
		t.Run(name, func(t *testing.T) {
			for seed := range uint64(100) {
				r := rng.New(seed).Fork("steps")
				w := newWorld(t, seed, opts)
				for range 30 {
					for range r.IntN(4) {
						w.append(r.IntN(300))
					}
					if r.Chance(0.7) {
						w.sync()
					}
					if r.Chance(0.3) {
						w.crash()
					}
				}
				w.crash()
				assert.GreaterOrEqual(t, w.synced, 1, "seed %d: something was synced and kept", seed)
			}
		})
	}
}

func TestTornTailIsCutAfterACrash(t *testing.T) {
	torn := 0
	for seed := range uint64(30) {
		w := newWorld(t, seed, disk.Options{TornWriteRate: 1})
		w.append(50)
		w.sync()
		for range 3 {
			w.append(500)
		}
		w.armCut(1) // the power goes right after the batch is written, before its sync
		w.sync()
		if w.j.Truncated() > 0 {
			torn++
		}
		w.append(10)
		w.sync()
		recs := w.crash()
		assert.Equal(t, w.appended[len(w.appended)-1], recs[len(recs)-1], "seed %d: appending continued after the cut", seed)
		assert.Zero(t, w.j.Truncated())
	}
	assert.Greater(t, torn, 20, "most crashes tore a record")
}

func TestRewriteIsAtomicAcrossPowerCuts(t *testing.T) {
	outcomes := map[string]int{}
	for cut := 1; ; cut++ {
		w := newWorld(t, uint64(cut), disk.Options{TornWriteRate: 1})
		w.append(100)
		w.append(100)
		w.sync()
		old := w.appended
		w.append(100) // buffered: the rewrite drops it
		neu := [][]byte{w.record(300), w.record(5)}
		cuts := w.st.cuts
		w.armCut(cut)
		w.rewrite(neu) // reopens and checks if the power was cut
		if w.st.cuts == cuts {
			w.armCut(0)
			recs := w.crash()
			assert.Equal(t, neu, recs, "a completed rewrite is durable")
			break
		}
		switch recs := w.appended; {
		case equal(recs, old):
			outcomes["old"]++
		case equal(recs, neu):
			outcomes["new"]++
		default:
			require.Failf(t, "a mix after a rewrite cut", "cut after call %d left %q", cut, recs)
		}
	}
	assert.Positive(t, outcomes["old"])
	assert.Positive(t, outcomes["new"])
}

func TestRecoveredLogIsAPrefixHoldingEverySyncedRecord(t *testing.T) {
	rates := []float64{0, 0.1, 0.3}
	rapid.Check(t, func(rt *rapid.T) {
		opts := disk.Options{
			ReadErrorRate:  rapid.SampledFrom(rates).Draw(rt, "readErrors"),
			WriteErrorRate: rapid.SampledFrom(rates).Draw(rt, "writeErrors"),
			SyncErrorRate:  rapid.SampledFrom(rates).Draw(rt, "syncErrors"),
			TornWriteRate:  rapid.SampledFrom([]float64{0, 0.5, 1}).Draw(rt, "torn"),
		}
		w := newWorld(rt, rapid.Uint64().Draw(rt, "seed"), opts)
		size := rapid.IntRange(0, 200)
		rt.Repeat(map[string]func(*rapid.T){
			"append": func(rt *rapid.T) { w.append(size.Draw(rt, "size")) },
			"sync":   func(*rapid.T) { w.sync() },
			"crash":  func(*rapid.T) { w.crash() },
			"close":  func(*rapid.T) { w.closeAndReopen() },
			"cut":    func(rt *rapid.T) { w.armCut(rapid.IntRange(1, 8).Draw(rt, "calls")) },
			"rewrite": func(rt *rapid.T) {
				recs := make([][]byte, rapid.IntRange(0, 4).Draw(rt, "records"))
				for i := range recs {
					recs[i] = w.record(size.Draw(rt, "size"))
				}
				w.rewrite(recs)
			},
		})
		w.crash()
	})
}
