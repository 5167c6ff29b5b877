package main

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBench_PrintsTheColumns(t *testing.T) {
	code, out, errs := simrun(t, "bench", "--seeds", "2")
	require.Equal(t, 0, code, errs)
	for _, col := range []string{"scenario", "seeds", "failed", "cpu", "wall", "seeds/s/core", "events/s", "simulated/wall", "oracle share"} {
		assert.Contains(t, out, col)
	}
	assert.Regexp(t, regexp.MustCompile(`standard\s+2\s+0\s+\S+\s+\S+\s+[\d.]+\s+[\d.]+\s+\d+x\s+[\d.]+%`), out)
}

func TestBench_BadInput(t *testing.T) {
	for _, args := range [][]string{{"--seeds", "0"}, {"--scenario", "nope"}, {"extra"}} {
		code, _, _ := simrun(t, append([]string{"bench"}, args...)...)
		assert.Equal(t, 2, code, "%v", args)
	}
}
