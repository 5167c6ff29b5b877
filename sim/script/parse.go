package script

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/sim/faults"
)

// ParseError is a mistake in a scenario file: one line naming the file,
// the line, the line's text and the field that is wrong.
type ParseError struct {
	File  string
	Line  int
	Text  string // the line, trimmed
	Field string // what is wrong: a header key, "at", "client", a field name...
	Err   error
}

func (e *ParseError) Error() string {
	if e.Text == "" {
		return fmt.Sprintf("%s:%d: %s: %v", e.File, e.Line, e.Field, e.Err)
	}
	return fmt.Sprintf("%s:%d: %s: %v", e.File, e.Line, e.Text, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// fieldErr is an error about one field of a line.
type fieldErr struct {
	field string
	err   error
}

func (e *fieldErr) Error() string { return e.err.Error() }

func ferr(field, format string, args ...any) error {
	return &fieldErr{field: field, err: fmt.Errorf(format, args...)}
}

// Parse reads a scenario file; name is the file name errors name.
func Parse(name string, r io.Reader) (*Scenario, error) {
	p := &parser{s: &Scenario{Name: name}, seen: map[string]bool{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if err := p.line(line, text); err != nil {
			pe := &ParseError{File: name, Line: line, Text: text, Err: err}
			var fe *fieldErr
			if errors.As(err, &fe) {
				pe.Field, pe.Err = fe.field, fe.err
			}
			if len(pe.Text) > 120 {
				pe.Text = pe.Text[:120] + "…"
			}
			return nil, pe
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &ParseError{File: name, Line: line + 1, Field: "line", Err: fmt.Errorf("reading: %w", err)}
	}
	if err := p.finish(); err != nil {
		pe := &ParseError{File: name, Line: line, Field: "header", Err: err}
		var fe *fieldErr
		if errors.As(err, &fe) {
			pe.Field, pe.Err = fe.field, fe.err
		}
		return nil, pe
	}
	return p.s, nil
}

type parser struct {
	s       *Scenario
	version bool
	steps   bool // the header is over
	seen    map[string]bool
	sch     schema.Schema
	writes  int64 // random writes the blocks may make
}

func (p *parser) line(n int, text string) error {
	if text == "" || text[0] == '#' {
		return nil
	}
	if !p.version {
		if text != "syncsim scenario 1" {
			if v, ok := strings.CutPrefix(text, "syncsim scenario "); ok {
				return ferr("version", "format version %s: this build reads version %d", v, Version)
			}
			return ferr("version", "missing the version line `syncsim scenario %d` first", Version)
		}
		p.version = true
		return nil
	}
	if key, val, ok := strings.Cut(text, ":"); ok && !p.steps && isKey(key) {
		return p.header(key, strings.TrimSpace(stripComment(val)))
	}
	if !p.steps {
		if err := p.endHeader(); err != nil {
			return err
		}
	}
	toks, err := tokens(text)
	if err != nil {
		return ferr("line", "%w", err)
	}
	if len(p.s.Steps) >= MaxSteps {
		return ferr("line", "more than %d steps", MaxSteps)
	}
	st, err := p.step(toks)
	if err != nil {
		return err
	}
	if end := max(st.At, st.Until); end >= p.s.Deadline {
		field := "at"
		if st.Until > 0 {
			field = "to"
		}
		return ferr(field, "%v: not before the deadline %v (the step would never run)", end, p.s.Deadline)
	}
	st.Line = n
	p.s.Steps = append(p.s.Steps, st)
	return nil
}

func isKey(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if (c < 'a' || c > 'z') && c != '-' {
			return false
		}
	}
	return true
}

// header reads one header field.
func (p *parser) header(key, val string) error {
	s := p.s
	if p.seen[key] && key != "story" && key != "reset" {
		return ferr(key, "%s given twice", key)
	}
	p.seen[key] = true
	var err error
	switch key {
	case "story":
		if val == "" {
			return ferr(key, "an empty story line")
		}
		s.Story = append(s.Story, val)
	case "clients":
		s.Clients, err = intIn(key, val, 1, MaxClients)
	case "realms":
		s.Realms = strings.Fields(val)
		if len(s.Realms) == 0 {
			return ferr(key, "no realm")
		}
		for _, r := range s.Realms {
			if !strings.HasPrefix(r, "/") || strings.ContainsAny(r, "\"#") {
				return ferr(key, "realm %q: a path begins with /", r)
			}
		}
		if len(s.Realms) > 1 {
			return ferr(key, "%d realms: more than one realm per world is not yet supported", len(s.Realms))
		}
	case "schema":
		if _, ok := schemas[val]; !ok {
			return ferr(key, "schema %q: no such schema (have: tasks)", val)
		}
		s.Schema = val
	case "reset":
		return p.reset(val)
	case "deadline":
		s.Deadline, err = posDuration(key, val)
	case "heal":
		s.Heal, err = posDuration(key, val)
	case "seed":
		s.Seed, err = strconv.ParseUint(val, 10, 64)
		if err != nil {
			return ferr(key, "seed %q: want an unsigned integer", val)
		}
	case "skew":
		s.Skew, err = duration(key, val, 0)
	case "ttl":
		s.TTL, err = posDuration(key, val)
	case "network":
		return p.network(val)
	default:
		return ferr(key, "unknown header field %q (have: story, clients, realms, schema, reset, deadline, heal, seed, network, skew, ttl)", key)
	}
	return err
}

func (p *parser) reset(val string) error {
	f := strings.Fields(val)
	c := All
	var err error
	switch {
	case len(f) == 2 && f[0] == "*":
	case len(f) == 3 && f[0] == "client":
		if !p.seen["clients"] {
			return ferr("reset", "reset: before clients:")
		}
		if c, err = p.clientIndex(f[1], false); err != nil {
			return err
		}
	default:
		return ferr("reset", "want `reset: client N MODE` or `reset: * MODE`")
	}
	mode := f[len(f)-1]
	if !slices.Contains(resetModes, mode) {
		return ferr("reset", "mode %q: want one of %s", mode, strings.Join(resetModes, ", "))
	}
	for _, r := range p.s.Resets {
		if r.Client == c {
			return ferr("reset", "the reset mode of %s given twice", clientName(c))
		}
	}
	p.s.Resets = append(p.s.Resets, Reset{Client: c, Mode: mode})
	return nil
}

func clientName(c int) string {
	if c == All {
		return "*"
	}
	return "client " + strconv.Itoa(c)
}

func (p *parser) network(val string) error {
	n := &p.s.Network
	for _, kv := range strings.Fields(val) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return ferr("network", "%q: want key=value", kv)
		}
		var err error
		switch k {
		case "drops":
			n.Drops, err = prob("network "+k, v)
		case "duplicates":
			n.Duplicates, err = prob("network "+k, v)
		case "latency":
			lo, hi, ok := strings.Cut(v, "..")
			if !ok {
				return ferr("network latency", "%q: want MIN..MAX", v)
			}
			if n.Latency[0], err = duration("network latency", lo, 0); err != nil {
				return err
			}
			if n.Latency[1], err = posDuration("network latency", hi); err != nil {
				return err
			}
			if n.Latency[0] > n.Latency[1] {
				return ferr("network latency", "%v..%v: the minimum is above the maximum", n.Latency[0], n.Latency[1])
			}
		default:
			return ferr("network", "unknown key %q (have: drops, duplicates, latency)", k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// endHeader checks the header once the first step comes.
func (p *parser) endHeader() error {
	p.steps = true
	s := p.s
	if !p.seen["clients"] {
		return ferr("clients", "the header has no clients: line")
	}
	if len(s.Realms) == 0 {
		s.Realms = []string{"/shared"}
	}
	if s.Schema == "" {
		s.Schema = "tasks"
	}
	if s.Deadline == 0 {
		s.Deadline = 10 * time.Minute
	}
	if s.Heal >= s.Deadline {
		return ferr("heal", "heal %v: not before the deadline %v", s.Heal, s.Deadline)
	}
	p.sch = schemas[s.Schema]
	return nil
}

func (p *parser) finish() error {
	if !p.version {
		return ferr("version", "missing the version line `syncsim scenario %d` (an empty file)", Version)
	}
	if !p.steps {
		return p.endHeader()
	}
	return nil
}

func intIn(field, tok string, lo, hi int) (int, error) {
	i, err := strconv.Atoi(tok)
	if err != nil || i < lo || i > hi {
		return 0, ferr(field, "%s %q: want an integer in [%d, %d]", field, tok, lo, hi)
	}
	return i, nil
}

func duration(field, tok string, min time.Duration) (time.Duration, error) {
	d, err := time.ParseDuration(tok)
	if err != nil {
		return 0, ferr(field, "%s %q: want a duration like 1m30s", field, tok)
	}
	if d < min || d > MaxDuration || d < -MaxDuration {
		return 0, ferr(field, "%s %v: out of range [%v, %v]", field, d, min, MaxDuration)
	}
	return d, nil
}

func posDuration(field, tok string) (time.Duration, error) {
	d, err := duration(field, tok, 0)
	if err == nil && d == 0 {
		return 0, ferr(field, "%s: must be positive", field)
	}
	return d, err
}

func float(field, tok string, lo, hi float64) (float64, error) {
	f, err := strconv.ParseFloat(tok, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		return 0, ferr(field, "%s %q: want a number in [%v, %v]", field, tok, lo, hi)
	}
	return f, nil
}

func prob(field, tok string) (float64, error) { return float(field, tok, 0, 1) }

// clientIndex reads a client index (or "*" if all).
func (p *parser) clientIndex(tok string, all bool) (int, error) {
	if tok == "*" && all {
		return All, nil
	}
	i, err := strconv.Atoi(tok)
	if err != nil {
		return 0, ferr("client", "client %q: want a client number", tok)
	}
	if i < 0 || i >= p.s.Clients {
		return 0, ferr("client", "client %d out of range (clients: %d)", i, p.s.Clients)
	}
	return i, nil
}

// faultKinds are the kinds a faults block may name.
var faultKinds = faults.Kinds()
