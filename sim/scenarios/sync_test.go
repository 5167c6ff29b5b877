package scenarios_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/syncsim/syncsim/oracle"

	"github.com/syncsim/syncsim/history"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/scenarios"
)

// quickSync is the sync scenario on a shorter clock, for go test.
func quickSync(seed uint64) (sim.Result, error) {
	cfg := scenarios.SyncConfig(seed)
	cfg.Deadline = 6 * time.Minute
	cfg.Scenario = "sync"
	w, err := sim.New(cfg, nil)
	if err != nil {
		return sim.Result{}, err
	}
	if err := scenarios.DefaultSync().Install(w); err != nil {
		return sim.Result{}, err
	}
	return w.Run(), nil
}

// verdict is a run's verdict as simrun gives it: the World's own failure,
// else the oracles' judgement of the history it returned (judged after
// the run, never inside it).
func verdict(res sim.Result) error {
	if res.Err != nil || res.History == nil {
		return res.Err
	}
	rep, err := oracle.Check(res.History, oracle.Options{})
	if err != nil {
		return err
	}
	return rep.Err()
}

// TestSync_EveryReplicaConvergesWithTheServer: 2 to 8 clients write
// concurrently through offline periods, pauses, connection drops,
// duplicated and replayed messages, clock skew and steps, client and
// server crashes; after the heal every replica's state hash equals the
// server's, and every oracle passes on what the World recorded (sync log,
// visibility, convergence, write accounting, session guarantees). 500
// seeds (50 with -short); `simrun run --scenario sync` runs many more.
func TestSync_EveryReplicaConvergesWithTheServer(t *testing.T) {
	seeds := 500
	if testing.Short() {
		seeds = 50
	}
	const shards = 4
	for s := 0; s < shards; s++ {
		t.Run(fmt.Sprintf("shard%d", s), func(t *testing.T) {
			t.Parallel()
			for seed := s; seed < seeds; seed += shards {
				res, err := quickSync(uint64(seed))
				require.NoError(t, err)
				require.NoError(t, verdict(res), "seed %d: replay with: go run ./cmd/simrun run --scenario sync --seed %d --seeds 1", seed, seed)
			}
		})
	}
}

func TestSync_SameSeedSameHash(t *testing.T) {
	a, err := quickSync(42)
	require.NoError(t, err)
	b, err := quickSync(42)
	require.NoError(t, err)
	require.Equal(t, a.Hash, b.Hash)
	c, err := quickSync(43)
	require.NoError(t, err)
	require.NotEqual(t, a.Hash, c.Hash)
}

func BenchmarkSyncWorld(b *testing.B) {
	sc, _ := scenarios.Lookup("sync")
	var steps uint64
	for i := 0; i < b.N; i++ {
		res, err := sc.Run(uint64(i), nil)
		if err != nil || res.Err != nil {
			b.Fatal(err, res.Err)
		}
		steps += res.Steps
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "seeds/s")
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkStandardWorld is workload S (without the restore, which comes
// with the server lifecycle faults): seeds per second per core.
func BenchmarkStandardWorld(b *testing.B) {
	sc := scenarios.Standard()
	var steps uint64
	for i := 0; i < b.N; i++ {
		res, err := sc.Run(uint64(i), nil)
		if err != nil || res.Err != nil {
			b.Fatal(err, res.Err)
		}
		steps += res.Steps
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "seeds/s")
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkStandardOracles is what judging one workload-S run costs: every
// oracle (oracle.Check) on the histories of eight standard seeds, recorded
// beforehand. Compare ms/check with BenchmarkStandardWorld's time per seed
// (which includes one Check). Porcupine's checks must never time out.
func BenchmarkStandardOracles(b *testing.B) {
	sc := scenarios.Standard()
	var hs []*history.History
	ops := 0
	for seed := range uint64(8) {
		cfg := sc.Config(seed)
		cfg.Scenario = sc.Name
		w, err := sim.New(cfg, nil)
		require.NoError(b, err)
		require.NoError(b, scenarios.StandardSync().Install(w))
		res := w.Run()
		require.NoError(b, res.Err)
		h := res.History
		hs = append(hs, h)
		ops += len(h.Uploads) + len(h.Downloads) + len(h.Writes) + len(h.Reads)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		rep, err := oracle.Check(hs[i%len(hs)], oracle.Options{})
		if err != nil || !rep.Pass() {
			b.Fatalf("seed %d: %v %+v", i%len(hs), err, rep.Verdicts)
		}
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(i), "ms/check")
	b.ReportMetric(float64(ops)/float64(len(hs)), "records/history")
}

// TestResets_EveryReplicaConvergesThroughResetsOfEveryCauseAndMode: the
// sync workload with the server's lifecycle faults — restores from backup,
// terminate and re-enable, compaction past the maximum offline time, role
// changes, recovery mode off — and clients in every reset mode, on top of
// the engine faults. After the heal every replica converges; a manual
// reset's backup copy holds every unsynced change; a discard reports every
// unsynced change it deleted; and every oracle passes, the client-reset
// reference included.
func TestResets_EveryReplicaConvergesThroughResetsOfEveryCauseAndMode(t *testing.T) {
	sc, err := scenarios.Lookup("resets")
	require.NoError(t, err)
	seeds := 100
	if testing.Short() {
		seeds = 20
	}
	const shards = 2
	for s := 0; s < shards; s++ {
		t.Run(fmt.Sprintf("shard%d", s), func(t *testing.T) {
			t.Parallel()
			for seed := s; seed < seeds; seed += shards {
				res, err := sc.Run(uint64(seed), nil)
				require.NoError(t, err)
				require.NoError(t, verdict(res), "seed %d: replay with: go run ./cmd/simrun run --scenario resets --seed %d --seeds 1", seed, seed)
			}
		})
	}
}
