// Package schema describes what a realm may hold: classes with a primary
// key and typed properties, and how two schemas differ (an additive change
// that clients absorb, or a breaking one that needs sync terminated and
// re-enabled).
package schema

// Kind is the scalar kind of a property, a primary key or a value.
type Kind uint8

// The kinds a property may have.
const (
	Invalid Kind = iota
	Int
	Bool
	String
	Double
	Timestamp
	Link
)

var kindNames = [...]string{"invalid", "int", "bool", "string", "double", "timestamp", "link"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + string(rune('0'+k%10)) + ")"
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k > Invalid && k <= Link }

// PropType is the full type of a property.
type PropType struct {
	Kind     Kind
	Nullable bool   // an optional variant; links are always nullable
	List     bool   // a list of Kind
	Target   string // the class a link (or list of links) points to
}

// Property is a named, typed field of a class.
type Property struct {
	Name string
	Type PropType
}

// Class is a table of objects identified by a primary key.
type Class struct {
	Name   string
	PKKind Kind // Int or String
	Props  []Property
}

// Schema is a set of classes.
type Schema struct {
	Classes []Class
}
