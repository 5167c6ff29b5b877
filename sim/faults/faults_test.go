package faults_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/faults"
)

type proc struct{ n *sim.Node }

func (p proc) Node() *sim.Node { return p.n }
func (p proc) Crash()          {}
func (p proc) Restart()        {}

// schedule runs a world of 4 clients with o's faults until the heal at 10
// minutes and returns the trace lines of the kinds named by prefix.
func schedule(t *testing.T, o faults.Options, prefix string) []string {
	t.Helper()
	cfg := sim.DefaultConfig(7)
	cfg.Clients, cfg.Deadline = 4, 11*time.Minute
	var out bytes.Buffer
	w, err := sim.New(cfg, &out)
	require.NoError(t, err)
	var tg faults.Targets
	for _, n := range w.Clients {
		tg.Clients = append(tg.Clients, proc{n})
	}
	require.NoError(t, faults.Schedule(w, o, tg, nil, 10*time.Minute))
	w.Run()
	var lines []string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, `"`+prefix) {
			lines = append(lines, l)
		}
	}
	return lines
}

// Each kind draws from its own stream: turning another kind on leaves its
// schedule as it was.
func TestSchedule_AddingAKindDoesNotReshuffleTheOthers(t *testing.T) {
	base := faults.Options{Offline: 1, Lasts: time.Minute}
	alone := schedule(t, base, "fault.offline")
	require.NotEmpty(t, alone)
	more := base
	more.ClientCrash, more.ClockStep, more.MaxClockStep = 2, 2, time.Minute
	require.Equal(t, alone, schedule(t, more, "fault.offline"))
}

// A rate of 0 turns a kind off; a kind without its targets is an error.
func TestSchedule_ZeroRateIsOffMissingTargetIsAnError(t *testing.T) {
	require.Empty(t, schedule(t, faults.Options{Lasts: time.Minute}, "fault."))
	w, err := sim.New(sim.DefaultConfig(1), nil)
	require.NoError(t, err)
	require.Error(t, faults.Schedule(w, faults.Options{Backup: 1, Lasts: time.Minute}, faults.Targets{}, nil, time.Minute))
}

func TestKinds_EveryKindHasARate(t *testing.T) {
	var o faults.Options
	for _, k := range faults.Kinds() {
		p := o.Rate(k)
		if p == nil {
			t.Fatalf("kind %s: no rate", k)
		}
		*p = 1
	}
	if o.Rate("nonsense") != nil {
		t.Fatal("an unknown kind has a rate")
	}
	if o.Offline != 1 || o.LongOffline != 1 || o.ClientCrash != 1 {
		t.Fatalf("rates not set: %+v", o)
	}
}
