package protocol

import (
	"errors"
	"fmt"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
)

func validate(m Message) error {
	if err := m.check(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInvalid, m.Type(), err)
	}
	return nil
}

var errNoSession = errors.New("session ident 0")

func session(ident uint64) error {
	if ident == 0 {
		return errNoSession
	}
	return nil
}

// Validate checks that m names a session and a realm path.
func (m *Bind) Validate() error { return validate(m) }

func (m *Bind) check() error {
	if m.Path == "" {
		return errors.New("empty realm path")
	}
	return session(m.SessionIdent)
}

// Validate checks that m names a session and assigns an ident other than 0.
func (m *ServerIdent) Validate() error { return validate(m) }

func (m *ServerIdent) check() error {
	if m.ClientFileIdent == 0 {
		return errors.New("client file ident 0")
	}
	return session(m.SessionIdent)
}

// Validate checks that m names a session and presents an ident other than 0.
func (m *ClientIdent) Validate() error { return validate(m) }

func (m *ClientIdent) check() error {
	if m.ClientFileIdent == 0 {
		return errors.New("client file ident 0")
	}
	return session(m.SessionIdent)
}

// Validate checks that m names a session and that its changesets are valid.
func (m *Upload) Validate() error {
	if err := validate(m); err != nil {
		return err
	}
	for i := range m.Changesets {
		if err := m.Changesets[i].Validate(); err != nil {
			return fmt.Errorf("%w: UPLOAD: changeset %d: %w", ErrInvalid, i, err)
		}
	}
	return nil
}

func (m *Upload) check() error { return session(m.SessionIdent) }

// Validate checks that m names a session and that its changesets are valid.
func (m *Download) Validate() error {
	if err := validate(m); err != nil {
		return err
	}
	for i := range m.Changesets {
		if err := m.Changesets[i].Changeset.Validate(); err != nil {
			return fmt.Errorf("%w: DOWNLOAD: changeset %d: %w", ErrInvalid, i, err)
		}
	}
	return nil
}

func (m *Download) check() error { return session(m.SessionIdent) }

// Validate checks that m names a session.
func (m *Mark) Validate() error { return validate(m) }

func (m *Mark) check() error { return session(m.SessionIdent) }

// Validate checks that m names a session.
func (m *Unbind) Validate() error { return validate(m) }

func (m *Unbind) check() error { return session(m.SessionIdent) }

// Validate checks that m has a known code and action, no negative backoff,
// and a valid Compensation if and only if it is a CompensatingWrite.
// SessionIdent 0 is allowed: a connection-level error.
func (m *Error) Validate() error { return validate(m) }

func (m *Error) check() error {
	switch {
	case !m.Code.Valid():
		return fmt.Errorf("unknown error code %d", uint16(m.Code))
	case !m.Action.Valid():
		return fmt.Errorf("unknown action %d", uint8(m.Action))
	case m.Backoff < 0:
		return fmt.Errorf("negative backoff %v", m.Backoff)
	case m.Code == CompensatingWrite && m.Compensation == nil:
		return fmt.Errorf("%s without its compensation", m.Code)
	case m.Code != CompensatingWrite && m.Compensation != nil:
		return fmt.Errorf("a compensation in an error of code %s", m.Code)
	case m.Compensation != nil:
		if err := m.Compensation.check(); err != nil {
			return fmt.Errorf("compensation: %w", err)
		}
	}
	return nil
}

func (c *Compensation) check() error {
	if c.ClientVersion == 0 {
		return errors.New("client version 0")
	}
	if len(c.Reverted) == 0 {
		return errors.New("nothing reverted")
	}
	for i, r := range c.Reverted {
		if err := r.check(); err != nil {
			return fmt.Errorf("reverted %d: %w", i, err)
		}
	}
	return nil
}

func (r *Reverted) check() error {
	if r.Class == "" {
		return fmt.Errorf("%s of an empty class name", r.Kind)
	}
	switch r.Kind {
	case RevertedObject:
		switch {
		case r.PK.Kind != schema.Int && r.PK.Kind != schema.String:
			return fmt.Errorf("object %s: primary key of kind %s", r.Class, r.PK.Kind)
		case r.PK.Kind == schema.Int && r.PK.Str != "", r.PK.Kind == schema.String && r.PK.Int != 0:
			return fmt.Errorf("object %s: a %s primary key with a value of another kind", r.Class, r.PK.Kind)
		case r.Field != "":
			return fmt.Errorf("object %s: a field name", r)
		}
	case RevertedColumn:
		switch {
		case r.Field == "":
			return fmt.Errorf("column of %s: empty field name", r.Class)
		case r.PK != (changeset.PK{}):
			return fmt.Errorf("column %s: a primary key", r)
		}
	case RevertedTable:
		if r.PK != (changeset.PK{}) || r.Field != "" {
			return fmt.Errorf("table %s: a primary key or field name", r.Class)
		}
	default:
		return fmt.Errorf("unknown kind %d", uint8(r.Kind))
	}
	return nil
}

// Validate checks that m's round-trip time is not negative.
func (m *Ping) Validate() error { return validate(m) }

func (m *Ping) check() error {
	if m.RTT < 0 {
		return fmt.Errorf("negative round-trip time %v", m.RTT)
	}
	return nil
}

// Validate accepts any Pong.
func (m *Pong) Validate() error { return nil }

func (m *Pong) check() error { return nil }

// Validate checks that m names a known provider.
func (m *LogIn) Validate() error { return validate(m) }

func (m *LogIn) check() error {
	if m.Provider != "anonymous" && m.Provider != "token" {
		return fmt.Errorf("unknown provider %q", m.Provider)
	}
	return nil
}

// Validate checks that m either names a user and a token or carries a
// defined error code.
func (m *LogInResult) Validate() error { return validate(m) }

func (m *LogInResult) check() error {
	if m.Code == 0 && (m.User == "" || m.AccessToken == "") {
		return errors.New("success without a user and an access token")
	}
	if m.Code != 0 && !m.Code.Valid() {
		return fmt.Errorf("undefined error code %d", uint16(m.Code))
	}
	return nil
}
