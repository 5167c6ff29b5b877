package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keptTracePath runs one seed of scenario with --keep-traces and returns its
// trace's path.
func keptTracePath(t *testing.T, scenario, seed string) string {
	t.Helper()
	dir := t.TempDir()
	code, _, errs := simrun(t, "run", "--scenario", scenario, "--seed", seed, "--seeds", "1", "--keep-traces", "--parallel", "1", "--out", dir)
	require.Equal(t, 0, code, errs)
	return filepath.Join(dir, "seed-"+scenario+"-"+seed+".trace.jsonl")
}

func TestReplayUntil_PrintsEveryReplicaAndTheServer(t *testing.T) {
	path := keptTracePath(t, "sync", "1") // 3 clients
	code, out, errs := simrun(t, "replay", "--until", "1m", path)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "stopped at 1m0s")
	assert.Contains(t, out, "they match the trace")
	for _, node := range []string{"server:", "client/0:", "client/1:", "client/2:"} {
		assert.Contains(t, out, "\n"+node, "the state names %s", node)
	}
	assert.NotContains(t, out, "client/3:")
	assert.Contains(t, out, "download cursor server")
	assert.Contains(t, out, "upload cursor client")
	assert.Contains(t, out, "pending uploads:")
	assert.Contains(t, out, "session active, connection ")
	assert.Regexp(t, `objects: [1-9]`, out)
	assert.Regexp(t, `Task\[\d+\] done=`, out)

	// The same stop prints the same text.
	_, again, _ := simrun(t, "replay", "--until", "1m", path)
	assert.Equal(t, out, again)
}

func TestReplayAtEvent_StopsAfterTheNthEvent(t *testing.T) {
	path := keptTracePath(t, "sync", "1")
	code, out, errs := simrun(t, "replay", "-v", "--at-event", "10", path)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "after 10 of the trace's")
	// -v numbered each event with its virtual time, up to the 10th.
	events := regexp.MustCompile(`(?m)^\s+(\d+)\s+\S+s (client/\d|server|world)\s`).FindAllStringSubmatch(out, -1)
	require.Len(t, events, 10, out)
	assert.Equal(t, "10", events[9][1])
	assert.Contains(t, out, "client/0:")
}

func TestReplayStop_ScenarioWithoutInspector(t *testing.T) {
	path := keptTracePath(t, "pingecho", "11")
	code, out, errs := simrun(t, "replay", "--until", "10s", path)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "no state inspector")
}

func TestReplayStop_BadInput(t *testing.T) {
	path := keptTracePath(t, "pingecho", "11") // deadline 5m
	for _, args := range [][]string{
		{"--until", "6m"},
		{"--until", "-1s"},
		{"--until", "soon"},
		{"--at-event", "-1"},
		{"--at-event", "100000000"},
		{"--until", "1m", "--at-event", "3"},
	} {
		code, out, errs := simrun(t, append(append([]string{"replay"}, args...), path)...)
		assert.Equal(t, 2, code, "%v: %s", args, errs)
		assert.Empty(t, out, "%v", args)
		if !strings.Contains(strings.Join(args, " "), "soon") { // flag's own message comes with its usage
			assert.Equal(t, 1, strings.Count(errs, "\n"), "%v: one line: %q", args, errs)
		}
	}
}
