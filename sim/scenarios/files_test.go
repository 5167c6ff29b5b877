package scenarios_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/sim/scenarios"
)

func TestResolve_NameOrPath(t *testing.T) {
	s, err := scenarios.Resolve("offline-edit-conflict")
	require.NoError(t, err)
	require.Contains(t, s.Story, "client 1")
	s, err = scenarios.Resolve("testdata/scenarios/pause-resume.scn")
	require.NoError(t, err)
	// A file scenario is named by its path, so that its traces (and a
	// campaign's workers) find it again.
	require.Equal(t, "testdata/scenarios/pause-resume.scn", s.Name)
	again, err := scenarios.Resolve(s.Name)
	require.NoError(t, err)
	require.Equal(t, s.Story, again.Story)
	res, err := s.Run(1, nil)
	require.NoError(t, err)
	require.NoError(t, res.Err)
	_, err = scenarios.Resolve("no-such-scenario")
	require.ErrorContains(t, err, "no scenario")
	_, err = scenarios.Resolve("testdata/nope.scn")
	require.Error(t, err)
}
