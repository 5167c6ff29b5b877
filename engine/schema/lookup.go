package schema

// Class returns the class called name.
func (s Schema) Class(name string) (Class, bool) {
	for _, c := range s.Classes {
		if c.Name == name {
			return c, true
		}
	}
	return Class{}, false
}

// Property returns the property called name of class.
func (s Schema) Property(class, name string) (Property, bool) {
	c, ok := s.Class(class)
	if !ok {
		return Property{}, false
	}
	return c.Property(name)
}

// Property returns c's property called name.
func (c Class) Property(name string) (Property, bool) {
	for _, p := range c.Props {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}
