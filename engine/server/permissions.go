package server

import (
	"fmt"
	"sort"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/wire"
)

// Role is what a user with it may write, per class: Write[class] says
// whether it may write objects of class; a class not listed is writable
// unless ReadOnly. Schema additions (AddTable, AddColumn) are governed by
// the realm's declared schema, not by roles. A write the role does not
// permit is integrated, then reverted by a compensating write.
type Role struct {
	Name     string
	Write    map[string]bool
	ReadOnly bool
}

// mayWrite reports whether the role may write objects of class.
func (r Role) mayWrite(class string) bool {
	if w, ok := r.Write[class]; ok {
		return w
	}
	return !r.ReadOnly
}

// permits reports whether the role permits an instruction.
func (r Role) permits(in *changeset.Instruction) bool {
	switch in.Op {
	case changeset.AddTable, changeset.AddColumn:
		return true
	}
	return r.mayWrite(in.Class)
}

// permitsAll reports whether the role permits every instruction of cs.
func (r Role) permitsAll(cs *changeset.Changeset) bool {
	for i := range cs.Instructions {
		if !r.permits(&cs.Instructions[i]) {
			return false
		}
	}
	return true
}

func checkRoles(roles map[string]Role, def string) error {
	names := make([]string, 0, len(roles))
	for name := range roles {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "" {
			return fmt.Errorf("server: Options.Roles has a role with an empty name")
		}
		if r := roles[name]; r.Name != "" && r.Name != name {
			return fmt.Errorf("server: Options.Roles[%q] is named %q", name, r.Name)
		}
	}
	if _, ok := roles[def]; def != "" && !ok {
		return fmt.Errorf("server: Options.DefaultRole %q is not one of Options.Roles", def)
	}
	return nil
}

// roleOf is the name of the role user has now.
func (s *Server) roleOf(user string) string {
	if r, ok := s.admin.roles[user]; ok {
		return r
	}
	return s.opts.DefaultRole
}

// role is the role called name; a name that Options.Roles does not define
// (the empty one, or one dropped from the options since) restricts
// nothing.
func (s *Server) role(name string) Role {
	return s.opts.Roles[name]
}

// SetRole gives user the role called role ("" for Options.DefaultRole).
// Every live session of the user whose client file was made under
// another role gets ERROR RoleChange, and so does any later CLIENT_IDENT
// of such a file: the user's replicas reset into new files made under the
// new role.
func (s *Server) SetRole(user, role string) error {
	if s.admin == nil {
		return fmt.Errorf("server: SetRole before Start")
	}
	if user == "" {
		return fmt.Errorf("server: SetRole: empty user name")
	}
	if _, ok := s.opts.Roles[role]; role != "" && !ok {
		return fmt.Errorf("server: SetRole(%q): role %q is not one of Options.Roles", user, role)
	}
	s.admin.setRole(user, role)
	s.admin.persist(wire.AppendString(wire.AppendString(adminRecord(recRole), user), role))
	now := s.roleOf(user)
	for _, path := range s.Realms() {
		for _, ss := range append([]*session(nil), s.realms[path].sessions...) {
			if ss.user == user && ss.file != nil && ss.file.role != now {
				ss.error(protocol.RoleChange, fmt.Sprintf("the user's role changed from %q to %q", ss.file.role, now))
			}
		}
	}
	return nil
}
