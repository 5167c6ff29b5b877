package script

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/client"
	"github.com/syncsim/syncsim/engine/replica"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/faults"
	"github.com/syncsim/syncsim/sim/network"
	"github.com/syncsim/syncsim/sim/simtest"
)

// Config is the world the scenario runs in for seed: its clients, deadline,
// clock skew and network.
func (s *Scenario) Config(seed uint64) sim.Config {
	cfg := sim.DefaultConfig(seed)
	cfg.Scenario = s.Name
	cfg.Clients = s.Clients
	cfg.Deadline = s.Deadline
	cfg.MaxClockSkew = s.Skew
	cfg.Network.DropRate = s.Network.Drops
	cfg.Network.DuplicateRate = s.Network.Duplicates
	if l := s.Network.Latency; l != [2]time.Duration{} {
		cfg.Network.Latency = network.Delay{Min: l[0], Max: l[1]}
	}
	return cfg
}

// HealAt is when faults stop and the replicas must converge.
func (s *Scenario) HealAt(deadline time.Duration) time.Duration {
	if s.Heal > 0 {
		return s.Heal
	}
	return deadline / 2
}

var modes = map[string]client.ClientResetMode{"manual": client.Manual, "discard": client.DiscardUnsyncedChanges,
	"recover": client.RecoverUnsyncedChanges, "recoverOrDiscard": client.RecoverOrDiscard}

// blockFaults are a faults block's defaults, but for the rates.
func blockFaults(ttl time.Duration) faults.Options {
	return faults.Options{Lasts: time.Minute, MaxClockStep: 2 * time.Minute,
		DropRates: [2]float64{0.02, 0.12}, DuplicateRates: [2]float64{0.05, 0.25}, LongOfflineFor: 2 * ttl}
}

// Install assembles the scenario on w through a simtest harness: the
// clients in their reset modes, every step at its time (steps at the same
// time in file order), the blocks, the heal, and the expects. A failed
// expect is a World failure wrapping ErrExpect, naming file:line.
func (s *Scenario) Install(w *sim.World) error {
	if w.Config.Clients != s.Clients {
		return fmt.Errorf("script: %s: the world has %d clients, the scenario %d", s.Name, w.Config.Clients, s.Clients)
	}
	o := simtest.Options{Path: s.Realms[0], TTL: s.TTL}
	mode := client.RecoverUnsyncedChanges
	for _, r := range s.Resets {
		if r.Client == All {
			mode = modes[r.Mode]
		}
	}
	for i := 0; i < s.Clients; i++ {
		o.Modes = append(o.Modes, mode)
	}
	for _, r := range s.Resets {
		if r.Client != All {
			o.Modes[r.Client] = modes[r.Mode]
		}
	}
	h, err := simtest.Install(w, o)
	if err != nil {
		return fmt.Errorf("script: %s: %w", s.Name, err)
	}
	ttl := s.TTL
	if ttl == 0 {
		ttl = 3 * time.Minute
	}
	r := &runner{s: s, h: h, w: w, ttl: ttl, schema: schemas[s.Schema]}
	for i, st := range s.Steps {
		if err := r.schedule(i, st); err != nil {
			return err
		}
	}
	heal := s.HealAt(w.Config.Deadline)
	w.Clock.At(clock.Time(heal), h.Heal)
	return nil
}

type runner struct {
	s      *Scenario
	h      *simtest.Harness
	w      *sim.World
	ttl    time.Duration
	schema schema.Schema
}

// where names a step's line in failures.
func (r *runner) where(st Step) string { return fmt.Sprintf("%s:%d: %s", r.s.Name, st.Line, st) }

// refused traces a step that could not run (a client not open, an
// operation the server refused): not a failure, as for random faults.
func (r *runner) refused(st Step, err error) {
	if err != nil {
		r.w.Record("", "script.refused", slog.Int("line", st.Line), slog.String("error", err.Error()))
	}
}

func (r *runner) schedule(i int, st Step) error {
	switch st.Kind {
	case RandomWrites:
		r.randomWrites(st)
		return nil
	case Faults:
		o := blockFaults(r.ttl)
		for _, rt := range st.Rates {
			*o.Rate(rt.Kind) = rt.Rate
		}
		if err := faults.ScheduleWindow(r.w, o, r.h.Targets(), r.h.Rec, st.At, st.Until, fmt.Sprintf("script/%d", i)); err != nil {
			return fmt.Errorf("script: %s: %w", r.where(st), err)
		}
		return nil
	}
	if st.End {
		r.w.AtEnd(func() { r.run(st) })
		return nil
	}
	r.w.At(st.At, "", "script.step", func() { r.run(st) }, slog.Int("line", st.Line))
	return nil
}

// randomWrites writes at random every st.Dur from st.At until st.Until
// (or the heal).
func (r *runner) randomWrites(st Step) {
	for at := st.At; at < st.Until; at += st.Dur {
		r.w.Clock.At(clock.Time(at), func() {
			if r.h.Healed() {
				return
			}
			for i := 0; i < r.s.Clients; i++ {
				if st.Client == All || st.Client == i {
					_, _ = r.h.WriteRandom(i)
				}
			}
		})
	}
}

// run runs one step now.
func (r *runner) run(st Step) {
	h, c := r.h, st.Client
	var err error
	switch st.Kind {
	case Write:
		err = h.Write(c, func(tx *replica.Tx) error { return apply(tx, st) })
	case Read:
		_, _, err = h.Read(c, st.Object.Class, st.Object.PK, st.Field)
	case WaitUpload, WaitDownload:
		r.wait(st)
	case Pause, Resume:
		err = h.Pause(c, st.Kind == Pause)
	case Offline, Online:
		err = h.Offline(c, st.Kind == Offline)
	case Crash:
		err = h.Crash(c)
	case Restart:
		err = h.Restart(c)
	case ClockStep:
		err = h.ClockStep(c, st.Dur)
	case ClockDrift:
		err = h.ClockDrift(c, st.Int)
	case Partition:
		err = h.Partition(c)
	case OneWay:
		err = h.PartitionOneWay(c, st.Arg == "to-server")
	case HealClient:
		err = h.HealPartition(c)
	case Clog:
		err = h.Clog(c, st.Dur)
	case Role:
		role := st.Arg
		if role == "default" {
			role = ""
		}
		err = h.SetRole(c, role)
	case BaseURL:
		r.w.Fail(fmt.Errorf("script: %s: %w: the world has one server (%s), no %q", r.where(st), ErrUnsupported, sim.ServerName, st.Arg))
	case ServerCrash:
		h.ServerCrash()
	case ServerRestart:
		h.ServerRestart()
	case Backup:
		err = h.Backup()
	case Restore:
		err = h.Restore(uint64(st.Int))
	case Terminate:
		err = h.Terminate()
	case Enable:
		err = h.Enable()
	case Compact:
		err = h.Compact()
	case Recovery:
		err = h.SetRecovery(st.Arg == "on")
	case SchemaAdd:
		err = r.schemaAdd(st)
	case SchemaBreaking:
		r.w.Fail(fmt.Errorf("script: %s: %w: the workload's clients cannot open the realm with a new schema", r.where(st), ErrUnsupported))
	case NetRate:
		err = h.Network(st.Arg, st.Num)
	case NetHeal:
		h.HealNetwork()
	case Expect, ExpectAbsent, ExpectConverged:
		r.expect(st)
	}
	r.refused(st, err)
}

// wait begins a wait; with a timeout, one that has not ended by then is
// traced (script.wait.timeout) — an expect says what must hold.
func (r *runner) wait(st Step) {
	done := false
	end := func(err error) {
		done = true
		if err != nil {
			r.w.Record("", "script.wait.failed", slog.Int("line", st.Line), slog.String("error", err.Error()))
		}
	}
	var err error
	if st.Kind == WaitUpload {
		err = r.h.WaitUpload(st.Client, end)
	} else {
		err = r.h.WaitDownload(st.Client, end)
	}
	if err != nil {
		r.refused(st, err)
		return
	}
	if st.Dur > 0 {
		r.w.Clock.AfterFunc(st.Dur, func() {
			if !done {
				r.w.Record("", "script.wait.timeout", slog.Int("line", st.Line))
			}
		})
	}
}

func (r *runner) schemaAdd(st Step) error {
	cf, typ, _ := strings.Cut(st.Arg, " ")
	class, field, _ := strings.Cut(cf, ".")
	sch := schema.Schema{Classes: slices.Clone(r.schema.Classes)}
	for i, c := range sch.Classes {
		if c.Name == class {
			c.Props = append(slices.Clone(c.Props), schema.Property{Name: field, Type: propTypes[typ]})
			sch.Classes[i] = c
		}
	}
	if err := r.h.ChangeSchema(sch); err != nil {
		return err
	}
	r.schema = sch
	return nil
}

// apply runs a write's operations in one transaction; a field operation
// on a missing object creates it first.
func apply(tx *replica.Tx, st Step) error {
	o := st.Object
	for _, op := range st.Ops {
		var err error
		if op.Kind != OpCreate && op.Kind != OpErase && !tx.State().Exists(o.Class, o.PK) {
			if err := tx.Create(o.Class, o.PK); err != nil {
				return err
			}
		}
		switch op.Kind {
		case OpCreate:
			err = tx.Create(o.Class, o.PK)
		case OpErase:
			err = tx.Erase(o.Class, o.PK)
		case OpSet:
			err = tx.Set(o.Class, o.PK, op.Field, op.Value)
		case OpDefault:
			err = tx.SetDefault(o.Class, o.PK, op.Field, op.Value)
		case OpAdd:
			err = tx.Add(o.Class, o.PK, op.Field, op.N)
		case OpInsert:
			err = tx.ListInsert(o.Class, o.PK, op.Field, int(op.N), op.Value)
		case OpListSet:
			err = tx.ListSet(o.Class, o.PK, op.Field, int(op.N), op.Value)
		case OpMove:
			err = tx.ListMove(o.Class, o.PK, op.Field, int(op.N), int(op.M))
		case OpRemove:
			err = tx.ListErase(o.Class, o.PK, op.Field, int(op.N))
		case OpClear:
			err = tx.ListClear(o.Class, o.PK, op.Field)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	return nil
}

// expect checks an expect line now.
func (r *runner) expect(st Step) {
	fail := func(format string, args ...any) {
		r.w.Fail(fmt.Errorf("%w: %s: %s", ErrExpect, r.where(st), fmt.Sprintf(format, args...)))
	}
	if st.Kind == ExpectConverged {
		if !r.h.Converged() {
			fail("the replicas did not converge with the server")
		}
		return
	}
	var state *store.State
	who := fmt.Sprintf("client %d", st.Client)
	if st.Server {
		who = "the server"
		var ok bool
		if state, ok = r.h.ServerState(); !ok {
			fail("the server is down or has no realm")
			return
		}
	} else {
		var err error
		if state, err = r.h.ClientState(st.Client); err != nil || state == nil {
			fail("%s has no open realm", who)
			return
		}
	}
	o := st.Object
	exists := state.Exists(o.Class, o.PK)
	if st.Kind == ExpectAbsent {
		if exists {
			fail("%s has %s %s", who, o.Class, formatPK(o.PK))
		}
		return
	}
	if !exists {
		fail("%s has no %s %s", who, o.Class, formatPK(o.PK))
		return
	}
	for _, c := range st.Checks {
		v, err := state.Get(o.Class, o.PK, c.Field)
		if err != nil {
			fail("%s: reading %s: %v", who, c.Field, err)
			return
		}
		if v.Kind == schema.Link && !state.Live(v) {
			v = changeset.Value{} // a link to an erased object reads null
		}
		if !valueEqual(v, c.Value) {
			fail("%s has %s=%s", who, c.Field, formatValue(v))
		}
	}
}
