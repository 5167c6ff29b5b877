package scenarios

import (
	"fmt"
	"time"

	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/faults"
	"github.com/syncsim/syncsim/sim/workload"
)

// PingEcho is a world of the toy ping/echo workload: Faults strike the
// network, the disks and the clients until HealAt; then the network heals
// and every client must be live again before the deadline.
type PingEcho struct {
	Workload workload.PingEcho
	// Faults are the rates of the fault kinds (zero: no faults).
	Faults faults.Options
	// HealAt is the fraction of the deadline after which faults stop and the
	// network heals.
	HealAt float64
}

// PingEchoFaults are the toy world's faults: about one a 10 s, every kind
// as often: partitions of every kind, clogs, drop and refuse bursts,
// stress mode, client crashes, clock steps and drift.
func PingEchoFaults() faults.Options {
	const each = 0.6 // per minute: one fault a 10 s among 10 kinds
	return faults.Options{Partition: each, OneWay: each, Isolate: each, Clog: each, Drops: each, Refuse: each,
		Stress: each, ClientCrash: each, ClockStep: each, ClockDrift: each,
		Lasts: 30 * time.Second, MaxClockStep: time.Minute, DropRates: [2]float64{0.01, 0.21}}
}

// DefaultPingEcho has every fault on.
func DefaultPingEcho() PingEcho {
	return PingEcho{Workload: workload.PingEcho{PingEvery: 2 * time.Second}, Faults: PingEchoFaults(), HealAt: 0.7}
}

// Install sets up the workload, the fault schedule and the heal on w.
func (p PingEcho) Install(w *sim.World) error {
	if p.HealAt <= 0 || p.HealAt >= 1 {
		return fmt.Errorf("scenarios: PingEcho %+v: HealAt in (0,1)", p)
	}
	heal := time.Duration(float64(w.Config.Deadline) * p.HealAt)
	run, err := p.Workload.Install(w, heal)
	if err != nil {
		return err
	}
	t := faults.Targets{OnStress: run.Stressed}
	for _, c := range run.Clients() {
		t.Clients = append(t.Clients, c)
	}
	if err := faults.Schedule(w, p.Faults, t, nil, heal); err != nil {
		return err
	}
	faults.At(w, nil, heal, "", "fault.heal", "", func() {
		faults.Heal(w)
		run.Heal()
	})
	return nil
}
