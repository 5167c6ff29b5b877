package script_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/oracle"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/script"
)

// namedSeeds are the seeds each named scenario runs with (besides its
// own default seed).
var namedSeeds = []uint64{1, 2, 3}

func parseFile(t *testing.T, path string) *script.Scenario {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s, err := script.Parse(filepath.Base(path), bytes.NewReader(b))
	require.NoError(t, err)
	return s
}

// runSeed runs s for seed and returns the result and its trace.
func runSeed(t *testing.T, s *script.Scenario, seed uint64) (sim.Result, string) {
	var out bytes.Buffer
	w, err := sim.New(s.Config(seed), &out)
	require.NoError(t, err)
	require.NoError(t, s.Install(w))
	return w.Run(), out.String()
}

// Every named scenario passes on the engine with every oracle, for its
// default seed and a few others, and no step of it is refused.
func TestNamedScenarios_Pass(t *testing.T) {
	files, err := filepath.Glob("../scenarios/testdata/scenarios/*.scn")
	if err != nil || len(files) < 12 {
		t.Fatalf("named scenarios: %v, %d files", err, len(files))
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".scn")
		t.Run(name, func(t *testing.T) {
			s := parseFile(t, f)
			require.NotEmpty(t, s.Story, "a named scenario tells its story")
			for _, seed := range append([]uint64{s.Seed}, namedSeeds...) {
				t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
					res, trace := runSeed(t, s, seed)
					require.NoError(t, res.Err)
					require.NotContains(t, trace, `"script.refused"`)
					rep, err := oracle.Check(res.History, oracle.Options{})
					require.NoError(t, err)
					require.NoError(t, rep.Err())
				})
			}
		})
	}
}

// The stories the world cannot tell yet (under unsupported/, not
// registered) parse, and fail their run with script.ErrUnsupported.
func TestUnsupportedScenarios_FailAsUnsupported(t *testing.T) {
	files, err := filepath.Glob("../scenarios/testdata/scenarios/unsupported/*.scn")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".scn"), func(t *testing.T) {
			res, _ := runSeed(t, parseFile(t, f), 1)
			require.True(t, errors.Is(res.Err, script.ErrUnsupported), "%v", res.Err)
		})
	}
}

// A failed expect is a World failure naming the file and line.
func TestExpect_FailureNamesFileAndLine(t *testing.T) {
	text := "syncsim scenario 1\nclients: 2\ndeadline: 4m\nat 10s client 0 write Task 1 title=\"a\"\n" +
		"expect server Task 1 title=\"b\"\n"
	s, err := script.Parse("x.scn", strings.NewReader(text))
	require.NoError(t, err)
	res, _ := runSeed(t, s, 1)
	require.ErrorIs(t, res.Err, script.ErrExpect)
	require.Contains(t, res.Err.Error(), `x.scn:5: expect server Task 1 title="b": the server has title="a"`)
}
