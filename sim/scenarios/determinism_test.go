package scenarios_test

import (
	"bytes"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/sim/scenarios"
	"github.com/syncsim/syncsim/sim/trace"
)

const determinismSeeds = 200

func runAll(t *testing.T, sc scenarios.Scenario, seeds int) []string {
	hashes := make([]string, seeds)
	for s := 0; s < seeds; s++ {
		res, err := sc.Run(uint64(s), nil)
		require.NoError(t, err)
		require.NoError(t, res.Err, "seed %d", s)
		hashes[s] = res.Hash
	}
	return hashes
}

// TestSameSeed_SameTraceHash_UnderAnyGOMAXPROCS: the toy workload with every
// fault on, over 200 seeds, run under GOMAXPROCS 1 and 8 and once more with
// worlds running concurrently on goroutines, gives the same hash per seed;
// different seeds give different hashes.
func TestSameSeed_SameTraceHash_UnderAnyGOMAXPROCS(t *testing.T) {
	sc, err := scenarios.Lookup("pingecho")
	require.NoError(t, err)
	seeds := determinismSeeds
	if testing.Short() {
		seeds = 20
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	one := runAll(t, sc, seeds)

	runtime.GOMAXPROCS(8)
	eight := runAll(t, sc, seeds)
	assert.Equal(t, one, eight)

	concurrent := make([]string, seeds)
	var wg sync.WaitGroup
	for s := 0; s < seeds; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := sc.Run(uint64(s), nil)
			if err == nil {
				concurrent[s] = res.Hash
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, one, concurrent, "worlds running side by side share nothing")

	distinct := map[string]bool{}
	for _, h := range one {
		distinct[h] = true
	}
	assert.Len(t, distinct, seeds, "different seeds give different hashes")
}

// TestTrace_WrittenFileReplaysToTheSameHash: the trace file's footer hash
// equals the run's hash and a second run from the header's seed matches.
func TestTrace_WrittenFileReplaysToTheSameHash(t *testing.T) {
	sc, err := scenarios.Lookup("pingecho")
	require.NoError(t, err)
	var buf bytes.Buffer
	res, err := sc.Run(17, &buf)
	require.NoError(t, err)
	f, err := trace.Read(&buf)
	require.NoError(t, err)
	require.NotNil(t, f.Footer)
	assert.Equal(t, res.Hash, f.Hash)
	assert.Equal(t, "pingecho", f.Header.Scenario)
	again, err := sc.Run(f.Header.Seed, nil)
	require.NoError(t, err)
	assert.Equal(t, res.Hash, again.Hash)
	assert.Equal(t, res.Events, uint64(len(f.Events)))
}

// TestFaults_AllKindsHappen: over the determinism seeds every kind of fault
// the toy schedule knows is injected at least once, so "every fault enabled"
// is a fact, not a hope.
func TestFaults_AllKindsHappen(t *testing.T) {
	sc, _ := scenarios.Lookup("pingecho")
	seen := map[string]int{}
	for s := uint64(0); s < 40; s++ {
		var buf bytes.Buffer
		_, err := sc.Run(s, &buf)
		require.NoError(t, err)
		f, err := trace.Read(&buf)
		require.NoError(t, err)
		for _, e := range f.Events {
			seen[e.Kind]++
		}
	}
	for _, k := range []string{"fault.partition", "fault.partition.oneway", "fault.isolate", "fault.clog",
		"fault.drops", "fault.refuse", "fault.stress", "fault.crash", "fault.restart", "fault.clock.step",
		"fault.clock.drift", "fault.heal", "pingecho.echo"} {
		assert.Positive(t, seen[k], "no %s in 40 seeds", k)
	}
}

func BenchmarkPingEchoWorld(b *testing.B) {
	sc, _ := scenarios.Lookup("pingecho")
	var steps uint64
	b.ReportAllocs()
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
