package protocol

import "fmt"

// ErrorCode says why a server (or client) sent ERROR. Codes 1xx are
// protocol errors (one side broke the protocol), 2xx are sync errors.
// The numeric values are part of the wire format.
type ErrorCode uint16

// The error codes.
const (
	BadSyntax            ErrorCode = 101 // a message failed to decode
	UnknownMessage       ErrorCode = 102 // a message of an unknown type
	WrongProtocolVersion ErrorCode = 103 // a message of another protocol version
	BadSessionIdent      ErrorCode = 104 // a message for a session not bound, or a session bound twice
	BadMessageOrder      ErrorCode = 105 // e.g. UPLOAD before IDENT

	BadAuthentication ErrorCode = 201 // the user's token was refused
	PermissionDenied  ErrorCode = 202 // the user may not sync this realm at all

	BadClientFileIdent ErrorCode = 210 // client file ident unknown (e.g. after terminate/re-enable)
	DivergingHistories ErrorCode = 211 // ident salt or server-version salt differs (restore from backup)
	BadServerVersion   ErrorCode = 212 // download cursor ahead of the server, or behind compacted history
	BadClientVersion   ErrorCode = 213 // client version too high
	ClientFileExpired  ErrorCode = 214 // client not seen for longer than the maximum offline time
	SchemaChange       ErrorCode = 215 // breaking schema change applied, or schema mismatch
	BadChangeset       ErrorCode = 216 // an uploaded changeset cannot be integrated
	RoleChange         ErrorCode = 217 // the session's role changed
	CompensatingWrite  ErrorCode = 220 // a write outside the user's permissions was reverted
	Transient          ErrorCode = 230 // server busy or restarting
)

var codeInfo = map[ErrorCode]struct {
	name   string
	action Action
}{
	BadSyntax:            {"bad syntax", ActionFatal},
	UnknownMessage:       {"unknown message", ActionFatal},
	WrongProtocolVersion: {"wrong protocol version", ActionFatal},
	BadSessionIdent:      {"bad session ident", ActionFatal},
	BadMessageOrder:      {"bad message order", ActionFatal},
	BadAuthentication:    {"bad authentication", ActionLogIn},
	PermissionDenied:     {"permission denied", ActionFatal},
	BadClientFileIdent:   {"bad client file ident", ActionClientReset},
	DivergingHistories:   {"diverging histories", ActionClientReset},
	BadServerVersion:     {"bad server version", ActionClientReset},
	BadClientVersion:     {"bad client version", ActionClientReset},
	ClientFileExpired:    {"client file expired", ActionClientReset},
	SchemaChange:         {"schema change", ActionClientResetNoRecovery},
	BadChangeset:         {"bad changeset", ActionClientResetNoRecovery},
	RoleChange:           {"role change", ActionClientReset},
	CompensatingWrite:    {"compensating write", ActionRevert},
	Transient:            {"transient", ActionRetry},
}

// Codes returns every defined code, in increasing order.
func Codes() []ErrorCode {
	return []ErrorCode{BadSyntax, UnknownMessage, WrongProtocolVersion, BadSessionIdent, BadMessageOrder,
		BadAuthentication, PermissionDenied,
		BadClientFileIdent, DivergingHistories, BadServerVersion, BadClientVersion, ClientFileExpired,
		SchemaChange, BadChangeset, RoleChange, CompensatingWrite, Transient}
}

// Valid reports whether c is a defined code.
func (c ErrorCode) Valid() bool {
	_, ok := codeInfo[c]
	return ok
}

func (c ErrorCode) String() string {
	if info, ok := codeInfo[c]; ok {
		return info.name
	}
	return fmt.Sprintf("error code %d", uint16(c))
}

// Action returns what the code asks of the client, per the server's error
// table; ActionInvalid for an unknown code. A server with recovery mode
// disabled sends Action().WithoutRecovery() instead.
func (c ErrorCode) Action() Action { return codeInfo[c].action }

// Action is what an error asks the client to do.
type Action uint8

// The actions. The numeric values are part of the wire format.
const (
	ActionInvalid Action = iota
	// ActionRetry: a transient condition; back off and reconnect.
	ActionRetry
	// ActionFatal: a protocol violation or an error that retrying cannot
	// fix; stop the session and report the error to the app.
	ActionFatal
	// ActionLogIn: the user's credentials were refused; the user must
	// log in again before the session can resume.
	ActionLogIn
	// ActionClientReset: reset the replica in the configured mode.
	ActionClientReset
	// ActionClientResetNoRecovery: reset without recovering unsynced
	// changes; a breaking schema change goes to the manual handler.
	ActionClientResetNoRecovery
	// ActionRevert: the server reverted a write with a compensating
	// write; report it and keep syncing.
	ActionRevert
)

var actionNames = [...]string{"invalid", "retry", "fatal", "log in", "client reset",
	"client reset without recovery", "revert"}

// Valid reports whether a is a defined action other than ActionInvalid.
func (a Action) Valid() bool { return a > ActionInvalid && int(a) < len(actionNames) }

func (a Action) String() string {
	if int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action %d", uint8(a))
}

// Reset reports whether a asks for a client reset.
func (a Action) Reset() bool { return a == ActionClientReset || a == ActionClientResetNoRecovery }

// WithoutRecovery is the action when the server's recovery mode is
// disabled: a client reset becomes one without recovery; other actions
// are unchanged.
func (a Action) WithoutRecovery() Action {
	if a == ActionClientReset {
		return ActionClientResetNoRecovery
	}
	return a
}
