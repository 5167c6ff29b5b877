package store

import (
	"cmp"
	"fmt"
	"math"
	"strconv"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
)

// defaultValue is the value a new object (or a new column) starts with:
// null for optional properties and links, the zero value of the kind
// otherwise.
func defaultValue(t schema.PropType) changeset.Value {
	if t.Nullable || t.Kind == schema.Link {
		return changeset.Value{}
	}
	return changeset.Value{Kind: t.Kind}
}

// normalType returns t in the form the store keeps: links are always
// nullable, so a link type is stored with Nullable set whatever the
// instruction said.
func normalType(t schema.PropType) schema.PropType {
	if t.Kind == schema.Link {
		t.Nullable = true
	}
	return t
}

// checkValue reports whether v may be stored in a property (or, for a
// list, as an element) of type t. v has passed Value.Validate.
func checkValue(t schema.PropType, v changeset.Value) error {
	switch {
	case v.Null():
		if !t.Nullable {
			return fmt.Errorf("null for a property of type %s", t)
		}
	case v.Kind != t.Kind:
		return fmt.Errorf("%s value for a property of type %s", v.Kind, t)
	case t.Kind == schema.Link && v.Class != t.Target:
		return fmt.Errorf("link to class %q for a property of type %s", v.Class, t)
	}
	return nil
}

// valueEqual reports whether a and b are the same value; doubles compare
// by their bits, so NaN equals itself and -0 differs from +0.
func valueEqual(a, b changeset.Value) bool {
	if a.Kind == schema.Double && b.Kind == schema.Double {
		return math.Float64bits(a.Float) == math.Float64bits(b.Float)
	}
	return a == b
}

// comparePK orders primary keys: by kind, then by value.
func comparePK(a, b changeset.PK) int {
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Int, b.Int); c != 0 {
		return c
	}
	return cmp.Compare(a.Str, b.Str)
}

// formatPK formats a primary key as an int or a quoted string.
func formatPK(pk changeset.PK) string {
	if pk.Kind == schema.String {
		return strconv.Quote(pk.Str)
	}
	return strconv.FormatInt(pk.Int, 10)
}

// formatObject names an object as Class[pk].
func formatObject(class string, pk changeset.PK) string {
	return class + "[" + formatPK(pk) + "]"
}

// formatValue formats a value for dumps and error messages.
func formatValue(v changeset.Value) string {
	switch v.Kind {
	case schema.Invalid:
		return "null"
	case schema.Int:
		return strconv.FormatInt(v.Int, 10)
	case schema.Timestamp:
		return "@" + strconv.FormatInt(v.Int, 10)
	case schema.Bool:
		return strconv.FormatBool(v.Bool)
	case schema.String:
		return strconv.Quote(v.Str)
	case schema.Double:
		return strconv.FormatFloat(v.Float, 'g', -1, 64)
	case schema.Link:
		return formatObject(v.Class, v.Target)
	}
	return fmt.Sprintf("value(kind %d)", v.Kind)
}
