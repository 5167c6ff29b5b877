package script

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/sim/workload"
)

// schemas are the schemas a header may name.
var schemas = map[string]schema.Schema{"tasks": workload.TaskSchema}

// parsePK reads a primary key of class (an integer, or a quoted string).
func parsePK(sch schema.Schema, class, tok string) (changeset.PK, error) {
	c, ok := sch.Class(class)
	if !ok {
		return changeset.PK{}, fmt.Errorf("class %q: no such class (have: %s)", class, classNames(sch))
	}
	if c.PKKind == schema.Int {
		i, err := strconv.ParseInt(tok, 10, 64)
		if err != nil {
			return changeset.PK{}, fmt.Errorf("%s key %s: want an integer", class, tok)
		}
		return changeset.IntPK(i), nil
	}
	s, err := strconv.Unquote(tok)
	if err != nil || !strings.HasPrefix(tok, `"`) {
		return changeset.PK{}, fmt.Errorf("%s key %s: want a quoted string", class, tok)
	}
	return changeset.StrPK(s), nil
}

func classNames(sch schema.Schema) string {
	var names []string
	for _, c := range sch.Classes {
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}

// property finds class.field.
func property(sch schema.Schema, class, field string) (schema.Property, error) {
	p, ok := sch.Property(class, field)
	if !ok {
		return p, fmt.Errorf("field %s.%s: no such field", class, field)
	}
	return p, nil
}

// parseValue reads a value of type t (one element's, for a list): a
// quoted string, an integer, null (if nullable), or a link Class[key].
func parseValue(sch schema.Schema, t schema.PropType, elem bool, field, tok string) (changeset.Value, error) {
	bad := func(want string) (changeset.Value, error) {
		return changeset.Value{}, fmt.Errorf("%s: value %s: want %s", field, tok, want)
	}
	if tok == "null" {
		if t.Nullable && !elem {
			return changeset.Value{}, nil
		}
		return bad("a value (not nullable)")
	}
	switch t.Kind {
	case schema.String:
		s, err := strconv.Unquote(tok)
		if err != nil || !strings.HasPrefix(tok, `"`) {
			return bad("a quoted string")
		}
		return changeset.Value{Kind: schema.String, Str: s}, nil
	case schema.Int:
		i, err := strconv.ParseInt(tok, 10, 64)
		if err != nil {
			return bad("an integer")
		}
		return changeset.Value{Kind: schema.Int, Int: i}, nil
	case schema.Link:
		open := strings.IndexByte(tok, '[')
		if open < 0 || !strings.HasSuffix(tok, "]") || tok[:open] != t.Target {
			return bad(fmt.Sprintf("a link %s[key]", t.Target))
		}
		pk, err := parsePK(sch, t.Target, tok[open+1:len(tok)-1])
		if err != nil {
			return changeset.Value{}, fmt.Errorf("%s: %w", field, err)
		}
		return changeset.Value{Kind: schema.Link, Class: t.Target, Target: pk}, nil
	}
	return bad("a type the language has no syntax for yet")
}

// formatPK writes a primary key as parsePK reads it.
func formatPK(pk changeset.PK) string {
	if pk.Kind == schema.Int {
		return strconv.FormatInt(pk.Int, 10)
	}
	return strconv.Quote(pk.Str)
}

// formatValue writes a value as parseValue reads it.
func formatValue(v changeset.Value) string {
	switch v.Kind {
	case schema.Invalid:
		return "null"
	case schema.String:
		return strconv.Quote(v.Str)
	case schema.Int:
		return strconv.FormatInt(v.Int, 10)
	case schema.Link:
		return v.Class + "[" + formatPK(v.Target) + "]"
	}
	return fmt.Sprintf("%v", v)
}

// valueEqual compares a stored value with an expected one.
func valueEqual(a, b changeset.Value) bool { return a == b }
