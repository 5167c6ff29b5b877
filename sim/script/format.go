package script

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Format is the scenario's canonical text: the header in a fixed order,
// then one step a line, as written (comments are not kept). Parse reads
// it back to an equal scenario (but for line numbers).
func (s *Scenario) Format() string {
	var b strings.Builder
	fmt.Fprintf(&b, "syncsim scenario %d\n", Version)
	for _, l := range s.Story {
		fmt.Fprintf(&b, "story: %s\n", l)
	}
	fmt.Fprintf(&b, "clients: %d\n", s.Clients)
	if len(s.Realms) > 0 {
		fmt.Fprintf(&b, "realms: %s\n", strings.Join(s.Realms, " "))
	}
	if s.Schema != "" {
		fmt.Fprintf(&b, "schema: %s\n", s.Schema)
	}
	for _, r := range s.Resets {
		fmt.Fprintf(&b, "reset: %s %s\n", clientName(r.Client), r.Mode)
	}
	if s.Deadline != 0 {
		fmt.Fprintf(&b, "deadline: %v\n", s.Deadline)
	}
	if s.Heal != 0 {
		fmt.Fprintf(&b, "heal: %v\n", s.Heal)
	}
	if s.Seed != 0 {
		fmt.Fprintf(&b, "seed: %d\n", s.Seed)
	}
	if n := s.Network; n != (Network{}) {
		var kv []string
		if n.Drops != 0 {
			kv = append(kv, "drops="+num(n.Drops))
		}
		if n.Duplicates != 0 {
			kv = append(kv, "duplicates="+num(n.Duplicates))
		}
		if n.Latency != [2]time.Duration{} {
			kv = append(kv, fmt.Sprintf("latency=%v..%v", n.Latency[0], n.Latency[1]))
		}
		fmt.Fprintf(&b, "network: %s\n", strings.Join(kv, " "))
	}
	if s.Skew != 0 {
		fmt.Fprintf(&b, "skew: %v\n", s.Skew)
	}
	if s.TTL != 0 {
		fmt.Fprintf(&b, "ttl: %v\n", s.TTL)
	}
	for _, st := range s.Steps {
		b.WriteString(st.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// String is the step's line, canonical.
func (st Step) String() string {
	switch st.Kind {
	case RandomWrites:
		who := "client *"
		if st.Client != All {
			who = clientName(st.Client)
		}
		return fmt.Sprintf("from %v to %v %s write random every %v", st.At, st.Until, who, st.Dur)
	case Faults:
		var kv []string
		for _, r := range st.Rates {
			kv = append(kv, r.Kind+"="+num(r.Rate))
		}
		return fmt.Sprintf("from %v to %v faults %s", st.At, st.Until, strings.Join(kv, " "))
	}
	prefix := fmt.Sprintf("at %v ", st.At)
	if st.End {
		prefix = ""
	}
	client := fmt.Sprintf("client %d ", st.Client)
	obj := st.Object.Class + " " + formatPK(st.Object.PK)
	switch st.Kind {
	case Expect, ExpectAbsent:
		who := client
		if st.Server {
			who = "server "
		}
		if st.Kind == ExpectAbsent {
			return prefix + "expect " + who + obj + " absent"
		}
		var kv []string
		for _, c := range st.Checks {
			kv = append(kv, c.Field+"="+formatValue(c.Value))
		}
		return prefix + "expect " + who + obj + " " + strings.Join(kv, " ")
	case ExpectConverged:
		return prefix + "expect converged"
	case Write:
		if len(st.Ops) == 1 && (st.Ops[0].Kind == OpCreate || st.Ops[0].Kind == OpErase) {
			return prefix + client + "write " + string(st.Ops[0].Kind) + " " + obj
		}
		var ops []string
		for _, o := range st.Ops {
			ops = append(ops, o.String())
		}
		return prefix + client + "write " + obj + " " + strings.Join(ops, " ")
	case Read:
		return prefix + client + "read " + obj + " " + st.Field
	case WaitUpload, WaitDownload:
		if st.Dur != 0 {
			return fmt.Sprintf("%s%s%s timeout %v", prefix, client, st.Kind, st.Dur)
		}
		return prefix + client + string(st.Kind)
	case Pause, Resume, Offline, Online, Crash, Restart, Partition, HealClient:
		return prefix + client + string(st.Kind)
	case ClockStep, Clog:
		return fmt.Sprintf("%s%s%s %v", prefix, client, st.Kind, st.Dur)
	case ClockDrift:
		return fmt.Sprintf("%s%s%s %dppm", prefix, client, st.Kind, st.Int)
	case OneWay, Role, BaseURL:
		return prefix + client + string(st.Kind) + " " + st.Arg
	case Restore:
		if st.Int != 0 {
			return fmt.Sprintf("%s%s backup %d", prefix, st.Kind, st.Int)
		}
		return prefix + string(st.Kind)
	case Recovery, SchemaAdd, SchemaBreaking:
		return prefix + string(st.Kind) + " " + st.Arg
	case NetRate:
		return prefix + "network " + st.Arg + " " + num(st.Num)
	}
	return prefix + string(st.Kind) // server steps without arguments, network heal
}

// String is the operation as written.
func (o Op) String() string {
	switch o.Kind {
	case OpSet:
		return o.Field + "=" + formatValue(o.Value)
	case OpAdd:
		return o.Field + "+=" + strconv.FormatInt(o.N, 10)
	case OpDefault:
		return "default " + o.Field + "=" + formatValue(o.Value)
	case OpInsert, OpListSet:
		return fmt.Sprintf("%s.%s %d %s", o.Field, o.Kind, o.N, formatValue(o.Value))
	case OpMove:
		return fmt.Sprintf("%s.move %d %d", o.Field, o.N, o.M)
	case OpRemove:
		return fmt.Sprintf("%s.erase %d", o.Field, o.N)
	case OpClear:
		return o.Field + ".clear"
	}
	return string(o.Kind)
}
