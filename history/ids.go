package history

import (
	"cmp"
	"fmt"
	"math"
)

// Infinite is the return time of an operation whose reply was never seen
// (and the ReachedAt of a replica that never converged). All times are
// virtual nanoseconds.
const Infinite int64 = math.MaxInt64

// ChangesetID names a changeset by its origin: the client file ident of the
// replica that made it and its client version there. It is unique within a
// realm epoch (a server restored from backup may hand an ident out again;
// a client reset gives the replica a new ident).
type ChangesetID struct {
	File    uint64 `json:"file"`
	Version uint64 `json:"version"`
}

// IsZero reports whether id names no changeset.
func (id ChangesetID) IsZero() bool { return id == ChangesetID{} }

func (id ChangesetID) String() string { return fmt.Sprintf("%d:%d", id.File, id.Version) }

func CompareIDs(a, b ChangesetID) int {
	if c := cmp.Compare(a.File, b.File); c != 0 {
		return c
	}
	return cmp.Compare(a.Version, b.Version)
}

// Cursor is a download cursor: the last server version integrated and, as
// of it, the last client version of the replica's own file the server had
// integrated.
type Cursor struct {
	ServerVersion uint64 `json:"serverVersion"`
	ClientVersion uint64 `json:"clientVersion"`
}

// Entry is one server changeset as a download delivered it.
type Entry struct {
	ServerVersion uint64      `json:"serverVersion"`
	ID            ChangesetID `json:"id"`
}

// Outcome is how an upload or download ended.
type Outcome string

// The outcomes.
const (
	// OutcomeOK: the server answered normally (an acknowledgement, a DOWNLOAD).
	OutcomeOK Outcome = "ok"
	// OutcomeReset: the server answered with an error asking for a client
	// reset; Code says which.
	OutcomeReset Outcome = "reset"
	// OutcomeUnknown: the reply was never seen (the connection dropped;
	// Return is then Infinite) or was an error that is not a reset (e.g.
	// transient; Return is when it arrived). It says nothing about the server.
	OutcomeUnknown Outcome = "unknown"
)

// Code names a reset error code exactly as the engine's
// protocol.ErrorCode.String spells it (the World converts with
// history.Code(code.String())).
type Code string

// The reset codes. The first five are conditions of the sync log, which the
// sync-log model judges; the others depend on schema and roles, which it
// cannot see, so it accepts them (the client-reset oracle judges them).
const (
	CodeBadClientFileIdent Code = "bad client file ident"
	CodeDivergingHistories Code = "diverging histories"
	CodeBadServerVersion   Code = "bad server version"
	CodeBadClientVersion   Code = "bad client version"
	CodeClientFileExpired  Code = "client file expired"
	CodeSchemaChange       Code = "schema change"
	CodeBadChangeset       Code = "bad changeset"
	CodeRoleChange         Code = "role change"
)

// Judged reports whether the sync-log model decides when c is due.
func (c Code) Judged() bool {
	switch c {
	case CodeBadClientFileIdent, CodeDivergingHistories, CodeBadServerVersion, CodeBadClientVersion, CodeClientFileExpired:
		return true
	}
	return false
}

func (c Code) Valid() bool {
	return c.Judged() || c == CodeSchemaChange || c == CodeBadChangeset || c == CodeRoleChange
}

// Seq orders an operation's ends among the events of the same virtual
// instant (a server handles an arrival and sends its replies at one
// instant): CallSeq and ReturnSeq are positions in one sequence of events
// the recorder numbers, ascending in the order they happened. 0 means
// unknown: Call is then taken as the start of its instant and Return as
// its end. Only the sync-log oracle uses them, to order what porcupine
// would otherwise have to try in every order.
type Seq struct {
	CallSeq   uint64 `json:"callSeq,omitempty"`
	ReturnSeq uint64 `json:"returnSeq,omitempty"`
}
