package faults

import (
	"time"

	"github.com/syncsim/syncsim/sim/rng"
)

// role: a client's user is given the "limited" role (its writes the role
// forbids are reverted by compensating writes), then the default again.
func role(p *plan, r *rng.Stream, at, end time.Duration) {
	c, realm := p.session(r), p.t.Realm
	p.at(at, c.Node().Name, "fault.role", realm.Path(), p.op(func() error { return realm.SetRole(c.User(), "limited") }))
	p.at(end, c.Node().Name, "fault.role.end", realm.Path(), p.op(func() error { return realm.SetRole(c.User(), "") }))
}
