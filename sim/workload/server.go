package workload

import (
	"fmt"

	"github.com/syncsim/syncsim/engine/server"
	"github.com/syncsim/syncsim/sim"
	"github.com/syncsim/syncsim/sim/observe"
)

// Server is the sync workload's server process on the world's server
// node, and the lifecycle operations on its shared realm (recorded through
// an observe.Lifecycle). It implements faults.Server and faults.Realm: an
// operation while the server is down does not happen.
type Server struct {
	run  *SyncRun
	srv  *server.Server
	down bool
	life *observe.Lifecycle
}

func (s *Server) start() error {
	run := s.run
	n := run.w.Server
	mutants, err := run.w.Config.MutantSet()
	if err != nil {
		return err
	}
	opts := server.Options{Address: sim.ServerName, Mutants: mutants}
	if run.cfg.Lifecycle {
		opts.HistoryTTL = LifecycleTTL
		if run.cfg.TTL > 0 {
			opts.HistoryTTL = run.cfg.TTL
		}
		opts.Roles = lifecycleRoles
	}
	srv, err := server.New(n.Clock(), n.Net, n.Storage(), opts)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("%w: server start: %w", ErrSync, err)
	}
	s.srv, s.down = srv, false
	return nil
}

// Crash crashes the server process and its disk.
func (s *Server) Crash() {
	if s.down {
		return
	}
	s.run.w.Net.Crash(sim.ServerName)
	s.run.w.Server.Disk.Crash()
	s.srv, s.down = nil, true
}

// Restart starts a crashed server again.
func (s *Server) Restart() {
	if !s.down {
		return
	}
	if err := s.start(); err != nil {
		s.run.w.Fail(err)
	}
}

// up runs fn on the running server; while it is down, nothing happens.
func (s *Server) up(fn func(srv *server.Server) error) error {
	if s.srv == nil {
		return nil // the server is down: the operation does not happen
	}
	return fn(s.srv)
}

// Path is the shared realm's.
func (s *Server) Path() string { return s.run.cfg.Path }

// Backup takes a backup of the realm.
func (s *Server) Backup() error { return s.up(s.life.Backup) }

// RestoreLatest restores the realm from the latest backup, if any.
func (s *Server) RestoreLatest() error { return s.up(s.life.RestoreLatest) }

// Terminate terminates the realm's sync.
func (s *Server) Terminate() error {
	return s.up(func(srv *server.Server) error { return srv.Terminate(s.Path()) })
}

// Enable enables the realm's sync again after a Terminate.
func (s *Server) Enable() error { return s.up(s.life.Enable) }

// Compact compacts the realm's history.
func (s *Server) Compact() error { return s.up(s.life.Compact) }

// SetRole gives user role ("" for the default).
func (s *Server) SetRole(user, role string) error {
	return s.up(func(srv *server.Server) error { return srv.SetRole(user, role) })
}

// SetRecoveryMode turns the server's recovery mode on or off.
func (s *Server) SetRecoveryMode(on bool) error {
	return s.up(func(srv *server.Server) error { return srv.SetRecoveryMode(on) })
}

// endLifecycle undoes what the lifecycle faults left in force at the heal:
// sync enabled, recovery on, default roles.
func (s *Server) endLifecycle() {
	if !s.run.cfg.Lifecycle || s.srv == nil {
		return
	}
	_ = s.life.Enable(s.srv) // an error: it was not terminated
	_ = s.srv.SetRecoveryMode(true)
	for _, c := range s.run.clients {
		_ = s.srv.SetRole(c.user, "")
	}
}
