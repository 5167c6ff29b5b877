package server

import (
	"fmt"
	"hash/fnv"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/journal"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/wire"
)

// admin holds the server's settings that belong to no realm: the recovery
// mode and the users' roles. They are kept in a journal of their own,
// replayed on start; a setting is durable once the journal syncs (a
// failed sync is retried).
type admin struct {
	s           *Server
	journal     *journal.Journal
	recoveryOff bool              // recovery mode disabled
	roles       map[string]string // user -> role name, as SetRole set it
	retry       env.Timer
	// identity tells this server's storage apart from any other's (another
	// server, or this one wiped): it is mixed into every salt, so a client
	// file or cursor from elsewhere never passes for one of ours.
	identity uint64
}

const (
	adminFileName = "admin.journal"

	adminMagic   byte = 'A'
	adminVersion byte = 1

	recRecovery byte = 1 // recovery mode: enabled
	recRole     byte = 2 // a user's role: user, role name ("" for the default)
	recIdentity byte = 3 // the storage's identity, made at first start
)

func openAdmin(s *Server) (*admin, error) {
	j, recs, err := journal.Open(s.st, adminFileName)
	if err != nil {
		return nil, fmt.Errorf("server: admin journal: %w", err)
	}
	a := &admin{s: s, journal: j, roles: map[string]string{}}
	for i, rec := range recs {
		if err := a.replay(rec); err != nil {
			return nil, fmt.Errorf("server: admin journal record %d: %w", i+1, err)
		}
	}
	if a.identity == 0 {
		// First start on this storage: derive an identity from the address
		// and the time (deterministic in a simulation, unique in practice).
		h := fnv.New64a()
		h.Write([]byte(s.opts.Address))
		a.identity = mix(h.Sum64()^uint64(s.clk.Now())) | 1
		rec := wire.AppendUvarint(adminRecord(recIdentity), a.identity)
		if err := j.Append(rec); err != nil {
			return nil, fmt.Errorf("server: admin journal: %w", err)
		}
		if err := j.Sync(); err != nil {
			return nil, fmt.Errorf("server: storing the server identity: %w", err)
		}
	}
	return a, nil
}

func (a *admin) replay(rec []byte) error {
	d := wire.NewDecoder(rec)
	d.Header("admin record", adminMagic, adminVersion)
	switch kind := d.Byte("admin record kind"); kind {
	case recRecovery:
		enabled := d.Bool("recovery mode")
		d.End("admin record")
		a.recoveryOff = !enabled
	case recRole:
		user, role := d.String("user"), d.String("role")
		d.End("admin record")
		a.setRole(user, role)
	case recIdentity:
		a.identity = d.Uvarint("identity")
		d.End("admin record")
	default:
		if d.Err() == nil {
			return fmt.Errorf("%w: unknown admin record kind %d", errRecord, kind)
		}
	}
	return d.Err()
}

func (a *admin) setRole(user, role string) {
	if role == "" {
		delete(a.roles, user)
		return
	}
	a.roles[user] = role
}

// persist appends a record (already applied) and syncs, retrying a
// failed sync until it succeeds.
func (a *admin) persist(rec []byte) {
	if err := a.journal.Append(rec); err != nil {
		a.s.logf("admin journal append failed", "err", err)
	}
	a.flush()
}

func (a *admin) flush() {
	if a.retry != nil {
		a.retry.Stop()
		a.retry = nil
	}
	if err := a.journal.Sync(); err != nil {
		a.s.logf("admin journal sync failed; retrying", "err", err)
		a.retry = a.s.clk.AfterFunc(a.s.opts.SyncRetry, a.flush)
	}
}

func adminRecord(kind byte) []byte {
	return append(wire.AppendHeader(nil, adminMagic, adminVersion), kind)
}

// SetRecoveryMode enables or disables client recovery: while it is
// disabled, every ERROR asking for a client reset asks for one without
// recovery (protocol.Action.WithoutRecovery).
func (s *Server) SetRecoveryMode(enabled bool) error {
	if s.admin == nil {
		return fmt.Errorf("server: SetRecoveryMode before Start")
	}
	s.admin.recoveryOff = !enabled
	s.admin.persist(wire.AppendBool(adminRecord(recRecovery), enabled))
	return nil
}

// action is the action an error code asks for under the recovery mode.
func (s *Server) action(code protocol.ErrorCode) protocol.Action {
	a := code.Action()
	if s.admin != nil && s.admin.recoveryOff {
		a = a.WithoutRecovery()
	}
	return a
}
