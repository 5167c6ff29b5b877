package script_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/oracle"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/script"
)

func runFile(t *testing.T, path string) {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	s, err := script.Parse(filepath.Base(path), f)
	require.NoError(t, err)
	w, err := sim.New(s.Config(s.Seed), nil)
	require.NoError(t, err)
	require.NoError(t, s.Install(w))
	res := w.Run()
	require.NoError(t, res.Err)
	rep, err := oracle.Check(res.History, oracle.Options{})
	require.NoError(t, err)
	require.NoError(t, rep.Err())
}
