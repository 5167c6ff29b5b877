package script

import (
	"strconv"
	"strings"
	"time"

	"github.com/syncsim/syncsim/engine/schema"
)

// step reads one step line.
func (p *parser) step(t []string) (Step, error) {
	var st Step
	switch t[0] {
	case "at":
		if len(t) < 3 {
			return st, ferr("at", "want `at DURATION step...`")
		}
		at, err := duration("at", t[1], 0)
		if err != nil {
			return st, err
		}
		st.At = at
		return st, p.action(&st, t[2:])
	case "from":
		return st, p.block(&st, t)
	case "expect":
		st.End = true
		return st, p.expect(&st, t[1:])
	}
	return st, ferr("step", "unknown step %q: a step begins with at, from or expect", t[0])
}

// want checks the token count of a step's rest.
func want(field string, t []string, n int, form string) error {
	if len(t) != n {
		return ferr(field, "want `%s`", form)
	}
	return nil
}

func (p *parser) action(st *Step, t []string) error {
	switch t[0] {
	case "client":
		if len(t) < 3 {
			return ferr("client", "want `client N ACTION`")
		}
		c, err := p.clientIndex(t[1], false)
		if err != nil {
			return err
		}
		st.Client = c
		return p.clientAction(st, t[2:])
	case "server":
		if len(t) < 2 {
			return ferr("server", "want `server ACTION`")
		}
		return p.serverAction(st, t[1:])
	case "network":
		if len(t) == 2 && t[1] == "heal" {
			st.Kind = NetHeal
			return nil
		}
		if err := want("network", t, 3, "network drops|duplicates|refuse RATE` or `network heal"); err != nil {
			return err
		}
		switch t[1] {
		case "drops", "duplicates", "refuse":
		default:
			return ferr("network", "unknown network fault %q (have: drops, duplicates, refuse, heal)", t[1])
		}
		r, err := prob("network "+t[1], t[2])
		st.Kind, st.Arg, st.Num = NetRate, t[1], r
		return err
	case "expect":
		return p.expect(st, t[1:])
	}
	return ferr("step", "unknown step %q (have: client, server, network, expect)", t[0])
}

var simpleClient = map[string]Kind{"pause": Pause, "resume": Resume, "offline": Offline, "online": Online,
	"crash": Crash, "restart": Restart, "heal": HealClient, "partition": Partition}

func (p *parser) clientAction(st *Step, t []string) error {
	if k, ok := simpleClient[t[0]]; ok && len(t) == 1 {
		st.Kind = k
		return nil
	}
	var err error
	switch t[0] {
	case "write":
		st.Kind = Write
		return p.write(st, t[1:])
	case "read":
		if err := want("read", t, 4, "read CLASS KEY FIELD"); err != nil {
			return err
		}
		st.Kind, st.Field = Read, t[3]
		if st.Object, err = p.object(t[1], t[2]); err != nil {
			return err
		}
		_, err = property(p.sch, t[1], t[3])
		return wrapField(t[3], err)
	case "wait":
		if len(t) != 2 && len(t) != 4 {
			return ferr("wait", "want `wait upload|download [timeout DURATION]`")
		}
		switch t[1] {
		case "upload":
			st.Kind = WaitUpload
		case "download":
			st.Kind = WaitDownload
		default:
			return ferr("wait", "wait %q: want upload or download", t[1])
		}
		if len(t) == 4 {
			if t[2] != "timeout" {
				return ferr("wait", "%q: want timeout", t[2])
			}
			st.Dur, err = posDuration("timeout", t[3])
		}
		return err
	case "clock":
		if err := want("clock", t, 3, "clock step DURATION` or `clock drift PPMppm"); err != nil {
			return err
		}
		switch t[1] {
		case "step":
			st.Kind = ClockStep
			st.Dur, err = duration("clock step", t[2], -MaxDuration)
			return err
		case "drift":
			st.Kind = ClockDrift
			v, ok := strings.CutSuffix(t[2], "ppm")
			n, perr := strconv.ParseInt(v, 10, 64)
			if !ok || perr != nil || n < -1_000_000 || n > 1_000_000 {
				return ferr("clock drift", "%q: want parts per million like 200ppm, within ±1000000", t[2])
			}
			st.Int = n
			return nil
		}
		return ferr("clock", "clock %q: want step or drift", t[1])
	case "partition":
		if err := want("partition", t, 3, "partition oneway to-server|from-server"); err != nil {
			return err
		}
		if t[1] != "oneway" || (t[2] != "to-server" && t[2] != "from-server") {
			return ferr("partition", "want `partition oneway to-server|from-server`")
		}
		st.Kind, st.Arg = OneWay, t[2]
		return nil
	case "clog":
		if err := want("clog", t, 2, "clog DURATION"); err != nil {
			return err
		}
		st.Kind = Clog
		st.Dur, err = posDuration("clog", t[1])
		return err
	case "role":
		if err := want("role", t, 2, "role limited|default"); err != nil {
			return err
		}
		if t[1] != "limited" && t[1] != "default" {
			return ferr("role", "role %q: want limited or default", t[1])
		}
		st.Kind, st.Arg = Role, t[1]
		return nil
	case "base-url":
		if err := want("base-url", t, 2, "base-url SERVER"); err != nil {
			return err
		}
		st.Kind, st.Arg = BaseURL, t[1]
		return nil
	}
	if _, ok := simpleClient[t[0]]; ok {
		return ferr(t[0], "%s takes no arguments", t[0])
	}
	return ferr("step", "unknown client step %q (have: write, read, wait, pause, resume, offline, online, crash, restart, clock, partition, heal, clog, role, base-url)", t[0])
}

func wrapField(field string, err error) error {
	if err == nil {
		return nil
	}
	return &fieldErr{field: field, err: err}
}

// object reads CLASS KEY.
func (p *parser) object(class, key string) (Object, error) {
	pk, err := parsePK(p.sch, class, key)
	if err != nil {
		return Object{}, wrapField("object", err)
	}
	return Object{Class: class, PK: pk}, nil
}

// write reads `create|erase CLASS KEY` or `CLASS KEY OP...`.
func (p *parser) write(st *Step, t []string) error {
	if len(t) == 3 && (t[0] == "create" || t[0] == "erase") {
		o, err := p.object(t[1], t[2])
		st.Object, st.Ops = o, []Op{{Kind: OpKind(t[0])}}
		return err
	}
	if len(t) < 3 {
		return ferr("write", "want `write CLASS KEY OP...`, `write create CLASS KEY` or `write erase CLASS KEY`")
	}
	o, err := p.object(t[0], t[1])
	if err != nil {
		return err
	}
	st.Object = o
	for i := 2; i < len(t); i++ {
		if len(st.Ops) >= MaxOps {
			return ferr("write", "more than %d operations in one write", MaxOps)
		}
		op, n, err := p.op(o.Class, t[i:])
		if err != nil {
			return err
		}
		st.Ops = append(st.Ops, op)
		i += n - 1
	}
	return nil
}

// op reads one operation from t; it returns how many tokens it took.
func (p *parser) op(class string, t []string) (Op, int, error) {
	def := t[0] == "default"
	if def {
		if len(t) < 2 {
			return Op{}, 0, ferr("default", "want `default FIELD=VALUE`")
		}
		t = t[1:]
	}
	tok := t[0]
	if f, v, ok := strings.Cut(tok, "+="); ok && !strings.HasPrefix(tok, `"`) && !def {
		pr, err := property(p.sch, class, f)
		if err != nil {
			return Op{}, 0, wrapField(f, err)
		}
		if pr.Type.Kind != schema.Int || pr.Type.List {
			return Op{}, 0, ferr(f, "%s+=: not an integer field", f)
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return Op{}, 0, ferr(f, "%s+=%s: want an integer", f, v)
		}
		return Op{Kind: OpAdd, Field: f, N: n}, 1, nil
	}
	if f, v, ok := strings.Cut(tok, "="); ok {
		pr, err := property(p.sch, class, f)
		if err != nil {
			return Op{}, 0, wrapField(f, err)
		}
		if pr.Type.List {
			return Op{}, 0, ferr(f, "%s is a list: use %s.insert, .set, .move, .erase or .clear", f, f)
		}
		val, err := parseValue(p.sch, pr.Type, false, f, v)
		if err != nil {
			return Op{}, 0, wrapField(f, err)
		}
		if def {
			return Op{Kind: OpDefault, Field: f, Value: val}, 2, nil
		}
		return Op{Kind: OpSet, Field: f, Value: val}, 1, nil
	}
	if def {
		return Op{}, 0, ferr("default", "want `default FIELD=VALUE`")
	}
	f, verb, ok := strings.Cut(tok, ".")
	if !ok {
		return Op{}, 0, ferr("write", "operation %q: want FIELD=VALUE, FIELD+=N, default FIELD=VALUE or FIELD.VERB ...", tok)
	}
	pr, err := property(p.sch, class, f)
	if err != nil {
		return Op{}, 0, wrapField(f, err)
	}
	if !pr.Type.List {
		return Op{}, 0, ferr(f, "%s.%s: %s is not a list", f, verb, f)
	}
	index := func(s string) (int64, error) {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil || i < 0 || i > MaxIndex {
			return 0, ferr(f, "%s.%s: index %q: want an integer in [0, %d]", f, verb, s, MaxIndex)
		}
		return i, nil
	}
	args := func(n int) error {
		if len(t) < n+1 {
			return ferr(f, "%s.%s: want %d argument(s)", f, verb, n)
		}
		return nil
	}
	switch verb {
	case "insert", "set":
		if err := args(2); err != nil {
			return Op{}, 0, err
		}
		i, err := index(t[1])
		if err != nil {
			return Op{}, 0, err
		}
		val, err := parseValue(p.sch, pr.Type, true, f, t[2])
		if err != nil {
			return Op{}, 0, wrapField(f, err)
		}
		k := OpInsert
		if verb == "set" {
			k = OpListSet
		}
		return Op{Kind: k, Field: f, N: i, Value: val}, 3, nil
	case "move":
		if err := args(2); err != nil {
			return Op{}, 0, err
		}
		i, err := index(t[1])
		if err != nil {
			return Op{}, 0, err
		}
		j, err := index(t[2])
		if err != nil {
			return Op{}, 0, err
		}
		return Op{Kind: OpMove, Field: f, N: i, M: j}, 3, nil
	case "erase":
		if err := args(1); err != nil {
			return Op{}, 0, err
		}
		i, err := index(t[1])
		if err != nil {
			return Op{}, 0, err
		}
		return Op{Kind: OpRemove, Field: f, N: i}, 2, nil
	case "clear":
		return Op{Kind: OpClear, Field: f}, 1, nil
	}
	return Op{}, 0, ferr(f, "%s.%s: unknown list operation (have: insert, set, move, erase, clear)", f, verb)
}

var simpleServer = map[string]Kind{"crash": ServerCrash, "restart": ServerRestart, "backup": Backup,
	"terminate": Terminate, "enable": Enable, "compact": Compact}

func (p *parser) serverAction(st *Step, t []string) error {
	if k, ok := simpleServer[t[0]]; ok {
		st.Kind = k
		return want(t[0], t, 1, "server "+t[0])
	}
	switch t[0] {
	case "restore":
		st.Kind = Restore
		switch {
		case len(t) == 1, len(t) == 2 && t[1] == "latest":
			return nil
		case len(t) == 3 && t[1] == "backup":
			n, err := intIn("backup", t[2], 1, MaxIndex)
			st.Int = int64(n)
			return err
		}
		return ferr("restore", "want `server restore [latest|backup N]`")
	case "recovery":
		if len(t) != 2 || (t[1] != "on" && t[1] != "off") {
			return ferr("recovery", "want `server recovery on|off`")
		}
		st.Kind, st.Arg = Recovery, t[1]
		return nil
	case "schema":
		if len(t) >= 2 && t[1] == "add" {
			if err := want("schema add", t, 4, "server schema add CLASS.FIELD TYPE"); err != nil {
				return err
			}
			cf := strings.Split(t[2], ".")
			if len(cf) != 2 || cf[0] == "" || cf[1] == "" {
				return ferr("schema add", "%q: want CLASS.FIELD", t[2])
			}
			if _, ok := p.sch.Class(cf[0]); !ok {
				return ferr("schema add", "class %q: no such class", cf[0])
			}
			if _, ok := p.sch.Property(cf[0], cf[1]); ok {
				return ferr("schema add", "field %s already exists", t[2])
			}
			if _, ok := propTypes[t[3]]; !ok {
				return ferr("schema add", "type %q: want string, int, string? or int?", t[3])
			}
			st.Kind, st.Arg = SchemaAdd, t[2]+" "+t[3]
			return nil
		}
		if len(t) >= 2 && t[1] == "breaking" {
			if err := want("schema breaking", t, 4, "server schema breaking remove CLASS.FIELD"); err != nil {
				return err
			}
			cf := strings.Split(t[3], ".")
			if t[2] != "remove" || len(cf) != 2 {
				return ferr("schema breaking", "want `server schema breaking remove CLASS.FIELD`")
			}
			if _, err := property(p.sch, cf[0], cf[1]); err != nil {
				return wrapField("schema breaking", err)
			}
			st.Kind, st.Arg = SchemaBreaking, "remove "+t[3]
			return nil
		}
		return ferr("schema", "want `server schema add CLASS.FIELD TYPE` or `server schema breaking remove CLASS.FIELD`")
	}
	return ferr("step", "unknown server step %q (have: crash, restart, backup, restore, terminate, enable, compact, recovery, schema)", t[0])
}

// propTypes are the types `server schema add` knows.
var propTypes = map[string]schema.PropType{
	"string": {Kind: schema.String}, "int": {Kind: schema.Int},
	"string?": {Kind: schema.String, Nullable: true}, "int?": {Kind: schema.Int, Nullable: true},
}

// block reads `from D to D client *|N write random every D` or
// `from D to D faults KIND=RATE...`.
func (p *parser) block(st *Step, t []string) error {
	if len(t) < 5 || t[2] != "to" {
		return ferr("from", "want `from DURATION to DURATION client *|N write random every DURATION` or `... faults KIND=RATE...`")
	}
	var err error
	if st.At, err = duration("from", t[1], 0); err != nil {
		return err
	}
	if st.Until, err = duration("to", t[3], 0); err != nil {
		return err
	}
	if st.Until <= st.At {
		return ferr("to", "to %v: not after from %v", st.Until, st.At)
	}
	switch t[4] {
	case "client":
		if len(t) != 10 || t[6] != "write" || t[7] != "random" || t[8] != "every" {
			return ferr("client", "want `from D to D client *|N write random every DURATION`")
		}
		st.Kind = RandomWrites
		if st.Client, err = p.clientIndex(t[5], true); err != nil {
			return err
		}
		if st.Dur, err = duration("every", t[9], 100*time.Millisecond); err != nil {
			return err
		}
		n := int64((st.Until-st.At)/st.Dur + 1)
		if st.Client == All {
			n *= int64(p.s.Clients)
		}
		if p.writes += n; p.writes > MaxBlockRun {
			return ferr("every", "the random blocks would make more than %d writes", MaxBlockRun)
		}
		return nil
	case "faults":
		st.Kind = Faults
		if len(t) < 6 {
			return ferr("faults", "want at least one KIND=RATE")
		}
		seen := map[string]bool{}
		for _, kv := range t[5:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return ferr("faults", "%q: want KIND=RATE", kv)
			}
			if !contains(faultKinds, k) {
				return ferr("faults", "unknown fault kind %q (have: %s)", k, strings.Join(faultKinds, ", "))
			}
			if seen[k] {
				return ferr("faults", "%s given twice", k)
			}
			seen[k] = true
			r, err := float("faults "+k, v, 0, MaxRate)
			if err != nil {
				return err
			}
			st.Rates = append(st.Rates, Rate{Kind: k, Rate: r})
		}
		return nil
	}
	return ferr("from", "block %q: want client or faults", t[4])
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// expect reads `converged`, `client N|server CLASS KEY absent` or
// `client N|server CLASS KEY FIELD=VALUE...`.
func (p *parser) expect(st *Step, t []string) error {
	if len(t) == 1 && t[0] == "converged" {
		st.Kind = ExpectConverged
		return nil
	}
	if len(t) == 0 {
		return ferr("expect", "want `expect converged` or `expect client N|server CLASS KEY ...`")
	}
	switch t[0] {
	case "client":
		if len(t) < 2 {
			return ferr("expect", "want `expect client N CLASS KEY ...`")
		}
		c, err := p.clientIndex(t[1], false)
		if err != nil {
			return err
		}
		st.Client, t = c, t[2:]
	case "server":
		st.Server, t = true, t[1:]
	default:
		return ferr("expect", "expect %q: want converged, client N or server", t[0])
	}
	if len(t) < 3 {
		return ferr("expect", "want CLASS KEY absent, or CLASS KEY FIELD=VALUE...")
	}
	o, err := p.object(t[0], t[1])
	if err != nil {
		return err
	}
	st.Object = o
	if len(t) == 3 && t[2] == "absent" {
		st.Kind = ExpectAbsent
		return nil
	}
	st.Kind = Expect
	for _, kv := range t[2:] {
		if len(st.Checks) >= MaxOps {
			return ferr("expect", "more than %d fields", MaxOps)
		}
		f, v, ok := strings.Cut(kv, "=")
		if !ok {
			return ferr("expect", "%q: want FIELD=VALUE or absent", kv)
		}
		pr, err := property(p.sch, o.Class, f)
		if err != nil {
			return wrapField(f, err)
		}
		if pr.Type.List {
			return ferr(f, "%s is a list: expect on lists is not supported yet", f)
		}
		val, err := parseValue(p.sch, pr.Type, false, f, v)
		if err != nil {
			return wrapField(f, err)
		}
		st.Checks = append(st.Checks, Check{Field: f, Value: val})
	}
	return nil
}
