// Package protocol defines the sync protocol between client and server:
// its messages (BIND, IDENT in each direction, UPLOAD, DOWNLOAD, MARK,
// UNBIND, ERROR, PING, PONG), the upload and download cursors, the error
// codes with the action each asks of the client, and a versioned binary
// codec that rejects malformed input with an error, never a panic.
//
// A session is one realm (path) synced over a connection; several
// sessions share one connection and are told apart by SessionIdent,
// which is never 0 (an ERROR with SessionIdent 0 is about the connection).
package protocol

import (
	"errors"
	"fmt"
	"time"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/wire"
)

// ErrInvalid is wrapped by every error Validate reports, and by decoding
// errors about a message whose fields are individually well-formed but
// invalid together.
var ErrInvalid = errors.New("invalid message")

// ErrUnknownType is wrapped, with wire.ErrMalformed, by the error decoding
// a message of a type this build does not know.
var ErrUnknownType = errors.New("unknown message type")

// Type is a message's type; its numeric value is part of the wire format.
type Type uint8

// The message types.
const (
	TypeInvalid Type = iota
	TypeBind
	TypeServerIdent
	TypeClientIdent
	TypeUpload
	TypeDownload
	TypeMark
	TypeUnbind
	TypeError
	TypePing
	TypePong
	TypeLogIn
	TypeLogInResult
)

var typeNames = [...]string{"INVALID", "BIND", "SERVER_IDENT", "CLIENT_IDENT", "UPLOAD", "DOWNLOAD",
	"MARK", "UNBIND", "ERROR", "PING", "PONG", "LOGIN", "LOGIN_RESULT"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("TYPE(%d)", uint8(t))
}

// Message is one protocol message: *Bind, *ServerIdent, *ClientIdent,
// *Upload, *Download, *Mark, *Unbind, *Error, *Ping, *Pong, *LogIn or
// *LogInResult.
type Message interface {
	Type() Type
	// Validate checks the message, including any changesets it carries.
	Validate() error
	check() error // Validate without the changesets
	appendBody(dst []byte) []byte
	decodeBody(d *wire.Decoder)
}

// DownloadCursor is download progress: the server version integrated
// locally and, as of it, the last of this client's versions the server had
// integrated.
type DownloadCursor struct {
	ServerVersion               uint64
	LastIntegratedClientVersion uint64
}

// UploadCursor is upload progress: the client version uploaded (or
// acknowledged) and, as of it, the last server version the client had
// integrated.
type UploadCursor struct {
	ClientVersion               uint64
	LastIntegratedServerVersion uint64
}

// Bind opens a session for the realm at Path (client to server).
type Bind struct {
	SessionIdent        uint64
	Path                string // the realm's path, e.g. "/users/u1" or "/catalog"
	User                string
	Token               string // the user's signed access token
	NeedClientFileIdent bool   // the replica is new: answer with SERVER_IDENT
	SchemaVersion       uint64
}

// ServerIdent assigns a new replica its client file ident and salt
// (server to client).
type ServerIdent struct {
	SessionIdent    uint64
	ClientFileIdent uint64
	Salt            uint64
}

// ClientIdent presents the replica's identity and download cursor; the
// server checks them and starts sending DOWNLOADs (client to server).
type ClientIdent struct {
	SessionIdent    uint64
	ClientFileIdent uint64
	ClientFileSalt  uint64
	DownloadCursor  DownloadCursor
	// ServerVersionSalt is the salt of the server history epoch that
	// DownloadCursor.ServerVersion belongs to.
	ServerVersionSalt uint64
}

// Upload sends local changesets, each with its client Version (client to
// server). UploadCursor is the progress the upload brings the server to.
type Upload struct {
	SessionIdent        uint64
	UploadCursor        UploadCursor
	LockedServerVersion uint64 // the server history the client still needs
	// ServerVersionSalt is the salt of the server history epoch the
	// changesets' bases (LastIntegratedServerVersion) belong to: a base
	// from another epoch means nothing in this one.
	ServerVersionSalt uint64
	Changesets        []changeset.Changeset
}

// ServerChangeset is a changeset of the server's history as downloaded:
// its server version and, as of it, the last client version of the
// receiving client the server had integrated. The origin file ident and
// timestamp are the changeset's own.
type ServerChangeset struct {
	ServerVersion               uint64
	LastIntegratedClientVersion uint64
	Changeset                   changeset.Changeset
}

// Download sends server history to a client (server to client).
type Download struct {
	SessionIdent        uint64
	DownloadCursor      DownloadCursor // progress after this batch
	ServerVersionSalt   uint64         // the salt of DownloadCursor's epoch
	LatestServerVersion uint64
	UploadCursor        UploadCursor // the upload progress the server acknowledges
	DownloadableBytes   uint64       // history bytes still to download after this batch
	Changesets          []ServerChangeset
}

// Mark is a round-trip barrier: the server echoes it once every change it
// had when the MARK arrived has been sent (both directions).
type Mark struct {
	SessionIdent uint64
	RequestIdent uint64
}

// Unbind ends a session (both directions).
type Unbind struct {
	SessionIdent uint64
}

// Error reports an error and the action it asks for (server to client).
// SessionIdent 0 means the error is about the whole connection.
type Error struct {
	SessionIdent uint64
	Code         ErrorCode
	Action       Action        // normally Code.Action(); see Action.WithoutRecovery
	Message      string        // for humans; Compensation is the machine-readable part
	Backoff      time.Duration // server's backoff override for ActionRetry; 0: none
	// Compensation identifies, for a CompensatingWrite (and only then, and
	// always then), the changeset whose writes the server reverted and what
	// it reverted.
	Compensation *Compensation
}

// Compensation is what a compensating write reverted: writes of the
// session's client file's changeset of client version ClientVersion.
type Compensation struct {
	ClientVersion uint64     // of the changeset reverted; never 0
	Reverted      []Reverted // the objects, columns and tables reverted, each once, in the order written; never empty
}

// Reverted names one object, column or table a compensating write
// reverted: Class[PK] for an object, Class.Field for a column, Class for a
// table. The fields its kind does not use are zero.
type Reverted struct {
	Kind  RevertedKind
	Class string
	PK    changeset.PK // an object's primary key (an int or a string)
	Field string       // a column's name
}

// RevertedKind says what a Reverted names. The numeric values are part of
// the wire format.
type RevertedKind uint8

// The kinds of Reverted.
const (
	RevertedInvalid RevertedKind = iota
	RevertedObject
	RevertedColumn
	RevertedTable
)

var revertedKindNames = [...]string{"invalid", "object", "column", "table"}

func (k RevertedKind) String() string {
	if int(k) < len(revertedKindNames) {
		return revertedKindNames[k]
	}
	return fmt.Sprintf("reverted kind %d", uint8(k))
}

// String names r as the server's message does: Class[pk] (a string key
// quoted), Class.field or Class.
func (r Reverted) String() string {
	switch r.Kind {
	case RevertedObject:
		if r.PK.Kind == schema.String {
			return fmt.Sprintf("%s[%q]", r.Class, r.PK.Str)
		}
		return fmt.Sprintf("%s[%d]", r.Class, r.PK.Int)
	case RevertedColumn:
		return r.Class + "." + r.Field
	}
	return r.Class
}

// Ping is the client's heartbeat: its clock at sending and the last
// round-trip time it measured.
type Ping struct {
	Timestamp int64
	RTT       time.Duration
}

// Pong answers a Ping, echoing its Timestamp.
type Pong struct {
	Timestamp int64
}

// LogIn asks the server's authentication service for a user (client to
// server, outside any session): an anonymous user, or the user a token
// credential names.
type LogIn struct {
	RequestIdent uint64
	Provider     string // "anonymous" or "token"
	Credential   string // the token, for the token provider
}

// LogInResult answers a LogIn: the user and the access token to present
// in BIND, or Code and Message when the credential was refused.
type LogInResult struct {
	RequestIdent uint64
	User         string
	AccessToken  string
	Code         ErrorCode // 0 on success
	Message      string
}

func (*LogIn) Type() Type       { return TypeLogIn }
func (*LogInResult) Type() Type { return TypeLogInResult }
func (*Bind) Type() Type        { return TypeBind }
func (*ServerIdent) Type() Type { return TypeServerIdent }
func (*ClientIdent) Type() Type { return TypeClientIdent }
func (*Upload) Type() Type      { return TypeUpload }
func (*Download) Type() Type    { return TypeDownload }
func (*Mark) Type() Type        { return TypeMark }
func (*Unbind) Type() Type      { return TypeUnbind }
func (*Error) Type() Type       { return TypeError }
func (*Ping) Type() Type        { return TypePing }
func (*Pong) Type() Type        { return TypePong }

// newMessage returns an empty message of type t, or nil for an unknown t.
func newMessage(t Type) Message {
	switch t {
	case TypeBind:
		return new(Bind)
	case TypeServerIdent:
		return new(ServerIdent)
	case TypeClientIdent:
		return new(ClientIdent)
	case TypeUpload:
		return new(Upload)
	case TypeDownload:
		return new(Download)
	case TypeMark:
		return new(Mark)
	case TypeUnbind:
		return new(Unbind)
	case TypeError:
		return new(Error)
	case TypePing:
		return new(Ping)
	case TypePong:
		return new(Pong)
	case TypeLogIn:
		return new(LogIn)
	case TypeLogInResult:
		return new(LogInResult)
	}
	return nil
}
