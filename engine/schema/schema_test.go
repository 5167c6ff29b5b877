package schema

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func base() Schema {
	return Schema{Classes: []Class{
		{Name: "Person", PKKind: String, Props: []Property{
			{Name: "age", Type: PropType{Kind: Int}},
			{Name: "nick", Type: PropType{Kind: String, Nullable: true}},
			{Name: "dog", Type: PropType{Kind: Link, Target: "Dog", Nullable: true}},
			{Name: "tags", Type: PropType{Kind: String, List: true}},
		}},
		{Name: "Dog", PKKind: Int, Props: []Property{
			{Name: "name", Type: PropType{Kind: String}},
			{Name: "born", Type: PropType{Kind: Timestamp}},
		}},
	}}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		rule   string
		mutate func(*Schema)
		err    string // empty: valid
	}{
		{"a well-formed schema is valid", func(*Schema) {}, ""},
		{"an empty schema is valid", func(s *Schema) { s.Classes = nil }, ""},
		{"class names are non-empty", func(s *Schema) { s.Classes[1].Name = "" }, "class 1 has an empty name"},
		{"class names are unique", func(s *Schema) { s.Classes[1].Name = "Person" }, `class "Person" defined twice`},
		{"primary keys are int or string", func(s *Schema) { s.Classes[0].PKKind = Double }, "primary key of kind double"},
		{"a primary key has a kind", func(s *Schema) { s.Classes[0].PKKind = Invalid }, "primary key of kind invalid"},
		{"property names are non-empty", func(s *Schema) { s.Classes[1].Props[0].Name = "" }, "property 0 has an empty name"},
		{"property names are unique within a class", func(s *Schema) { s.Classes[1].Props[1].Name = "name" }, `property "name" defined twice`},
		{"property names may repeat across classes", func(s *Schema) { s.Classes[1].Props[1].Name = "age" }, ""},
		{"property kinds are valid", func(s *Schema) { s.Classes[1].Props[0].Type.Kind = Link + 1 }, "not a valid kind"},
		{"the invalid kind is no property kind", func(s *Schema) { s.Classes[1].Props[0].Type.Kind = Invalid }, "not a valid kind"},
		{"links name a target", func(s *Schema) { s.Classes[0].Props[2].Type.Target = "" }, "link property without a target"},
		{"link targets exist", func(s *Schema) { s.Classes[0].Props[2].Type.Target = "Cat" }, `links to class "Cat", which does not exist`},
		{"a link may target a class defined later", func(s *Schema) { s.Classes[1].Props[0].Type = PropType{Kind: Link, Target: "Person", List: true} }, ""},
		{"only links have a target", func(s *Schema) { s.Classes[1].Props[0].Type.Target = "Person" }, "only links have one"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			s := base()
			tt.mutate(&s)
			err := s.Validate()
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalid)
			assert.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestLookup(t *testing.T) {
	s := base()
	c, ok := s.Class("Dog")
	require.True(t, ok)
	assert.Equal(t, Int, c.PKKind)
	_, ok = s.Class("Cat")
	assert.False(t, ok)

	p, ok := s.Property("Person", "dog")
	require.True(t, ok)
	assert.Equal(t, PropType{Kind: Link, Target: "Dog", Nullable: true}, p.Type)
	_, ok = s.Property("Person", "name")
	assert.False(t, ok, "a property of another class is not found")
	_, ok = s.Property("Cat", "name")
	assert.False(t, ok, "a property of a missing class is not found")
}

func TestPropTypeString(t *testing.T) {
	assert.Equal(t, "int", PropType{Kind: Int}.String())
	assert.Equal(t, "string?", PropType{Kind: String, Nullable: true}.String())
	assert.Equal(t, "link<Dog>", PropType{Kind: Link, Target: "Dog"}.String())
	assert.Equal(t, "list<double?>", PropType{Kind: Double, Nullable: true, List: true}.String())
}

func TestDiff(t *testing.T) {
	type diff struct {
		kind     DiffKind
		class    string
		prop     string
		breaking bool
	}
	tests := []struct {
		rule   string
		mutate func(*Schema)
		want   []diff
	}{
		{"identical schemas do not differ", func(*Schema) {}, nil},
		{"order of classes and properties does not matter", func(s *Schema) {
			s.Classes[0], s.Classes[1] = s.Classes[1], s.Classes[0]
			p := s.Classes[1].Props
			p[0], p[3] = p[3], p[0]
		}, nil},
		{"link nullability is implied and does not differ", func(s *Schema) { s.Classes[0].Props[2].Type.Nullable = false }, nil},
		{"a new class is additive", func(s *Schema) {
			s.Classes = append(s.Classes, Class{Name: "Cat", PKKind: Int})
		}, []diff{{ClassAdded, "Cat", "", false}}},
		{"a new optional property is additive", func(s *Schema) {
			s.Classes[1].Props = append(s.Classes[1].Props, Property{"weight", PropType{Kind: Double, Nullable: true}})
		}, []diff{{PropertyAdded, "Dog", "weight", false}}},
		{"a new required property is additive (defaulted)", func(s *Schema) {
			s.Classes[1].Props = append(s.Classes[1].Props, Property{"good", PropType{Kind: Bool}})
		}, []diff{{PropertyAdded, "Dog", "good", false}}},
		{"a new link or list property is additive", func(s *Schema) {
			s.Classes[1].Props = append(s.Classes[1].Props,
				Property{"owner", PropType{Kind: Link, Target: "Person"}},
				Property{"toys", PropType{Kind: String, List: true}})
		}, []diff{{PropertyAdded, "Dog", "owner", false}, {PropertyAdded, "Dog", "toys", false}}},
		{"a property kind change is breaking", func(s *Schema) { s.Classes[0].Props[0].Type.Kind = String },
			[]diff{{PropertyTypeChanged, "Person", "age", true}}},
		{"optional to required is breaking", func(s *Schema) { s.Classes[0].Props[1].Type.Nullable = false },
			[]diff{{PropertyTypeChanged, "Person", "nick", true}}},
		{"required to optional is breaking", func(s *Schema) { s.Classes[0].Props[0].Type.Nullable = true },
			[]diff{{PropertyTypeChanged, "Person", "age", true}}},
		{"single to list is breaking", func(s *Schema) { s.Classes[0].Props[0].Type.List = true },
			[]diff{{PropertyTypeChanged, "Person", "age", true}}},
		{"a link target change is breaking", func(s *Schema) { s.Classes[0].Props[2].Type.Target = "Person" },
			[]diff{{PropertyTypeChanged, "Person", "dog", true}}},
		{"a primary key kind change is breaking", func(s *Schema) { s.Classes[1].PKKind = String },
			[]diff{{PKKindChanged, "Dog", "", true}}},
		{"a removed class is breaking", func(s *Schema) {
			s.Classes = s.Classes[:1]
			p := s.Classes[0].Props
			s.Classes[0].Props = append(p[:2:2], p[3])
		}, []diff{{ClassRemoved, "Dog", "", true}, {PropertyRemoved, "Person", "dog", true}}},
		{"a removed property is breaking", func(s *Schema) { s.Classes[1].Props = s.Classes[1].Props[:1] },
			[]diff{{PropertyRemoved, "Dog", "born", true}}},
		{"a property rename is a removal plus an addition, so breaking", func(s *Schema) { s.Classes[1].Props[0].Name = "title" },
			[]diff{{PropertyRemoved, "Dog", "name", true}, {PropertyAdded, "Dog", "title", false}}},
		{"a class rename is a removal plus an addition, so breaking", func(s *Schema) {
			s.Classes[1].Name = "Hound"
			s.Classes[0].Props[2].Type.Target = "Hound"
		}, []diff{{ClassRemoved, "Dog", "", true}, {ClassAdded, "Hound", "", false}, {PropertyTypeChanged, "Person", "dog", true}}},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			old, new := base(), base()
			tt.mutate(&new)
			require.NoError(t, new.Validate())
			ch := Diff(old, new)
			var got []diff
			for _, d := range ch.Differences {
				got = append(got, diff{d.Kind, d.Class, d.Property, d.Breaking})
				assert.NotEmpty(t, d.Reason)
			}
			require.Equal(t, tt.want, got, ch.String())
			breaking := false
			for _, d := range tt.want {
				breaking = breaking || d.breaking
			}
			assert.Equal(t, breaking, ch.Breaking())
			assert.Equal(t, len(tt.want) > 0 && !breaking, ch.Additive())
			assert.Equal(t, len(tt.want) == 0, ch.Empty())
		})
	}
}

func TestDiffReasonSaysWhatChanged(t *testing.T) {
	old, new := base(), base()
	new.Classes[0].Props[1].Type = PropType{Kind: Int, List: true}
	ch := Diff(old, new)
	require.Len(t, ch.Differences, 1)
	assert.Equal(t, "Person.nick: property type changed (breaking): type string? -> list<int> "+
		"(kind string -> int, optional -> required, single value -> list)", ch.Differences[0].String())
}
