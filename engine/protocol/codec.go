package protocol

import (
	"fmt"
	"time"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/wire"
)

// A message is encoded as Magic, FormatVersion, byte(Type), then its body:
// its fields in declaration order, unsigned integers as uvarints, signed
// ones and durations as zig-zag varints, strings length-prefixed, bools as
// one byte, codes and actions as uvarints; a list of changesets is a
// uvarint count followed by each changeset in the changeset codec's format
// (header included), a ServerChangeset's two versions before it. An
// ERROR's Compensation is a bool (present or not) and, if present, the
// client version, a uvarint count and each Reverted (see appendReverted).
// Version 2 added the Compensation.
const (
	Magic         byte = 'P'
	FormatVersion byte = 2
)

// Minimal encoded sizes, to bound counts: a changeset with no
// instructions is its header and five one-byte varints.
const (
	minChangesetSize       = 7
	minServerChangesetSize = minChangesetSize + 2
	// a Reverted table: its kind and a one-character class name
	minRevertedSize = 3
)

// maxPrealloc caps how many changesets Decode allocates before reading
// them, so memory grows only with changesets actually decoded.
const maxPrealloc = 64

// Encode returns the binary encoding of m.
func Encode(m Message) []byte { return Append(nil, m) }

// Append appends the binary encoding of m to dst. It does not validate m;
// an invalid message may not survive Decode.
func Append(dst []byte, m Message) []byte {
	dst = wire.AppendHeader(dst, Magic, FormatVersion)
	dst = append(dst, byte(m.Type()))
	return m.appendBody(dst)
}

// Decode decodes a message that fills src exactly. It rejects an unknown
// format version (the error wraps wire.ErrVersion), an unknown type,
// truncated or trailing bytes, and messages that fail Validate. Every
// error wraps wire.ErrMalformed.
func Decode(src []byte) (Message, error) {
	d := wire.NewDecoder(src)
	d.Header("message", Magic, FormatVersion)
	at := d.Offset()
	t := Type(d.Byte("message type"))
	m := newMessage(t)
	if m == nil {
		d.FailCause(at, "message type", fmt.Sprintf("unknown type %d", t), ErrUnknownType)
	} else {
		m.decodeBody(&d)
		d.End(t.String())
		if d.Err() == nil {
			if err := m.check(); err != nil {
				d.FailCause(at, t.String(), err.Error(), ErrInvalid)
			}
		}
	}
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("decode message: %w", err)
	}
	return m, nil
}

func appendDuration(dst []byte, v time.Duration) []byte { return wire.AppendVarint(dst, int64(v)) }

func (m *Bind) appendBody(dst []byte) []byte {
	dst = wire.AppendUvarint(dst, m.SessionIdent)
	dst = wire.AppendString(dst, m.Path)
	dst = wire.AppendString(dst, m.User)
	dst = wire.AppendString(dst, m.Token)
	dst = wire.AppendBool(dst, m.NeedClientFileIdent)
	return wire.AppendUvarint(dst, m.SchemaVersion)
}

func (m *Bind) decodeBody(d *wire.Decoder) {
	m.SessionIdent = d.Uvarint("session ident")
	m.Path = d.String("path")
	m.User = d.String("user")
	m.Token = d.String("token")
	m.NeedClientFileIdent = d.Bool("need client file ident")
	m.SchemaVersion = d.Uvarint("schema version")
}

func (m *ServerIdent) appendBody(dst []byte) []byte {
	dst = wire.AppendUvarint(dst, m.SessionIdent)
	dst = wire.AppendUvarint(dst, m.ClientFileIdent)
	return wire.AppendUvarint(dst, m.Salt)
}

func (m *ServerIdent) decodeBody(d *wire.Decoder) {
	m.SessionIdent = d.Uvarint("session ident")
	m.ClientFileIdent = d.Uvarint("client file ident")
	m.Salt = d.Uvarint("salt")
}

func (m *ClientIdent) appendBody(dst []byte) []byte {
	dst = wire.AppendUvarint(dst, m.SessionIdent)
	dst = wire.AppendUvarint(dst, m.ClientFileIdent)
	dst = wire.AppendUvarint(dst, m.ClientFileSalt)
	dst = appendDownloadCursor(dst, m.DownloadCursor)
	return wire.AppendUvarint(dst, m.ServerVersionSalt)
}

func (m *ClientIdent) decodeBody(d *wire.Decoder) {
	m.SessionIdent = d.Uvarint("session ident")
	m.ClientFileIdent = d.Uvarint("client file ident")
	m.ClientFileSalt = d.Uvarint("client file salt")
	m.DownloadCursor = decodeDownloadCursor(d)
	m.ServerVersionSalt = d.Uvarint("server version salt")
}

func appendDownloadCursor(dst []byte, c DownloadCursor) []byte {
	dst = wire.AppendUvarint(dst, c.ServerVersion)
	return wire.AppendUvarint(dst, c.LastIntegratedClientVersion)
}

func decodeDownloadCursor(d *wire.Decoder) DownloadCursor {
	return DownloadCursor{
		ServerVersion:               d.Uvarint("download cursor server version"),
		LastIntegratedClientVersion: d.Uvarint("download cursor last integrated client version"),
	}
}

func appendUploadCursor(dst []byte, c UploadCursor) []byte {
	dst = wire.AppendUvarint(dst, c.ClientVersion)
	return wire.AppendUvarint(dst, c.LastIntegratedServerVersion)
}

func decodeUploadCursor(d *wire.Decoder) UploadCursor {
	return UploadCursor{
		ClientVersion:               d.Uvarint("upload cursor client version"),
		LastIntegratedServerVersion: d.Uvarint("upload cursor last integrated server version"),
	}
}

func (m *Upload) appendBody(dst []byte) []byte {
	dst = wire.AppendUvarint(dst, m.SessionIdent)
	dst = appendUploadCursor(dst, m.UploadCursor)
	dst = wire.AppendUvarint(dst, m.LockedServerVersion)
	dst = wire.AppendUvarint(dst, m.ServerVersionSalt)
	dst = wire.AppendUvarint(dst, uint64(len(m.Changesets)))
	for i := range m.Changesets {
		dst = changeset.AppendBinary(dst, &m.Changesets[i])
	}
	return dst
}

func (m *Upload) decodeBody(d *wire.Decoder) {
	m.SessionIdent = d.Uvarint("session ident")
	m.UploadCursor = decodeUploadCursor(d)
	m.LockedServerVersion = d.Uvarint("locked server version")
	m.ServerVersionSalt = d.Uvarint("server version salt")
	n := d.Count("changeset count", minChangesetSize)
	if n == 0 {
		return
	}
	m.Changesets = make([]changeset.Changeset, 0, min(n, maxPrealloc))
	for i := range n {
		m.Changesets = append(m.Changesets, changeset.Changeset{})
		changeset.DecodeFrom(d, &m.Changesets[i])
		if d.Err() != nil {
			d.Within(fmt.Sprintf("changeset %d", i))
			m.Changesets = nil
			return
		}
	}
}

func (m *Download) appendBody(dst []byte) []byte {
	dst = wire.AppendUvarint(dst, m.SessionIdent)
	dst = appendDownloadCursor(dst, m.DownloadCursor)
	dst = wire.AppendUvarint(dst, m.ServerVersionSalt)
	dst = wire.AppendUvarint(dst, m.LatestServerVersion)
	dst = appendUploadCursor(dst, m.UploadCursor)
	dst = wire.AppendUvarint(dst, m.DownloadableBytes)
	dst = wire.AppendUvarint(dst, uint64(len(m.Changesets)))
	for i := range m.Changesets {
		sc := &m.Changesets[i]
		dst = wire.AppendUvarint(dst, sc.ServerVersion)
		dst = wire.AppendUvarint(dst, sc.LastIntegratedClientVersion)
		dst = changeset.AppendBinary(dst, &sc.Changeset)
	}
	return dst
}

func (m *Download) decodeBody(d *wire.Decoder) {
	m.SessionIdent = d.Uvarint("session ident")
	m.DownloadCursor = decodeDownloadCursor(d)
	m.ServerVersionSalt = d.Uvarint("server version salt")
	m.LatestServerVersion = d.Uvarint("latest server version")
	m.UploadCursor = decodeUploadCursor(d)
	m.DownloadableBytes = d.Uvarint("downloadable bytes")
	n := d.Count("changeset count", minServerChangesetSize)
	if n == 0 {
		return
	}
	m.Changesets = make([]ServerChangeset, 0, min(n, maxPrealloc))
	for i := range n {
		m.Changesets = append(m.Changesets, ServerChangeset{})
		sc := &m.Changesets[i]
		sc.ServerVersion = d.Uvarint("server version")
		sc.LastIntegratedClientVersion = d.Uvarint("last integrated client version")
		changeset.DecodeFrom(d, &sc.Changeset)
		if d.Err() != nil {
			d.Within(fmt.Sprintf("changeset %d", i))
			m.Changesets = nil
			return
		}
	}
}

func (m *Mark) appendBody(dst []byte) []byte {
	dst = wire.AppendUvarint(dst, m.SessionIdent)
	return wire.AppendUvarint(dst, m.RequestIdent)
}

func (m *Mark) decodeBody(d *wire.Decoder) {
	m.SessionIdent = d.Uvarint("session ident")
	m.RequestIdent = d.Uvarint("request ident")
}

func (m *Unbind) appendBody(dst []byte) []byte { return wire.AppendUvarint(dst, m.SessionIdent) }

func (m *Unbind) decodeBody(d *wire.Decoder) { m.SessionIdent = d.Uvarint("session ident") }

func (m *Error) appendBody(dst []byte) []byte {
	dst = wire.AppendUvarint(dst, m.SessionIdent)
	dst = wire.AppendUvarint(dst, uint64(m.Code))
	dst = wire.AppendUvarint(dst, uint64(m.Action))
	dst = wire.AppendString(dst, m.Message)
	dst = appendDuration(dst, m.Backoff)
	dst = wire.AppendBool(dst, m.Compensation != nil)
	if c := m.Compensation; c != nil {
		dst = wire.AppendUvarint(dst, c.ClientVersion)
		dst = wire.AppendUvarint(dst, uint64(len(c.Reverted)))
		for _, r := range c.Reverted {
			dst = appendReverted(dst, r)
		}
	}
	return dst
}

// appendReverted appends r: its kind, its class, then an object's primary
// key (its kind, then a varint or a string) or a column's field.
func appendReverted(dst []byte, r Reverted) []byte {
	dst = append(dst, byte(r.Kind))
	dst = wire.AppendString(dst, r.Class)
	switch r.Kind {
	case RevertedObject:
		dst = append(dst, byte(r.PK.Kind))
		if r.PK.Kind == schema.String {
			return wire.AppendString(dst, r.PK.Str)
		}
		return wire.AppendVarint(dst, r.PK.Int)
	case RevertedColumn:
		return wire.AppendString(dst, r.Field)
	}
	return dst
}

func (m *Error) decodeBody(d *wire.Decoder) {
	m.SessionIdent = d.Uvarint("session ident")
	at := d.Offset()
	code := d.Uvarint("error code")
	if m.Code = ErrorCode(code); uint64(m.Code) != code || !m.Code.Valid() {
		d.Fail(at, "error code", fmt.Sprintf("unknown code %d", code))
	}
	at = d.Offset()
	action := d.Uvarint("action")
	if m.Action = Action(action); uint64(m.Action) != action || !m.Action.Valid() {
		d.Fail(at, "action", fmt.Sprintf("unknown action %d", action))
	}
	m.Message = d.String("error message")
	m.Backoff = time.Duration(d.Varint("backoff"))
	if !d.Bool("has compensation") {
		return
	}
	c := &Compensation{ClientVersion: d.Uvarint("reverted client version")}
	n := d.Count("reverted count", minRevertedSize)
	c.Reverted = make([]Reverted, 0, min(n, maxPrealloc))
	for i := range n {
		c.Reverted = append(c.Reverted, decodeReverted(d))
		if d.Err() != nil {
			d.Within(fmt.Sprintf("reverted %d", i))
			return
		}
	}
	if d.Err() == nil {
		m.Compensation = c
	}
}

func decodeReverted(d *wire.Decoder) Reverted {
	at := d.Offset()
	r := Reverted{Kind: RevertedKind(d.Byte("reverted kind"))}
	r.Class = d.String("reverted class")
	switch r.Kind {
	case RevertedObject:
		kat := d.Offset()
		switch k := schema.Kind(d.Byte("reverted primary key kind")); k {
		case schema.Int:
			r.PK = changeset.PK{Kind: k, Int: d.Varint("reverted primary key")}
		case schema.String:
			r.PK = changeset.PK{Kind: k, Str: d.String("reverted primary key")}
		default:
			d.Fail(kat, "reverted primary key kind", fmt.Sprintf("kind %d is no primary key kind", uint8(k)))
		}
	case RevertedColumn:
		r.Field = d.String("reverted field")
	case RevertedTable:
	default:
		d.Fail(at, "reverted kind", fmt.Sprintf("unknown kind %d", uint8(r.Kind)))
	}
	return r
}

func (m *Ping) appendBody(dst []byte) []byte {
	dst = wire.AppendVarint(dst, m.Timestamp)
	return appendDuration(dst, m.RTT)
}

func (m *Ping) decodeBody(d *wire.Decoder) {
	m.Timestamp = d.Varint("timestamp")
	m.RTT = time.Duration(d.Varint("round-trip time"))
}

func (m *Pong) appendBody(dst []byte) []byte { return wire.AppendVarint(dst, m.Timestamp) }

func (m *Pong) decodeBody(d *wire.Decoder) { m.Timestamp = d.Varint("timestamp") }

func (m *LogIn) appendBody(dst []byte) []byte {
	dst = wire.AppendUvarint(dst, m.RequestIdent)
	dst = wire.AppendString(dst, m.Provider)
	return wire.AppendString(dst, m.Credential)
}

func (m *LogIn) decodeBody(d *wire.Decoder) {
	m.RequestIdent = d.Uvarint("request ident")
	m.Provider = d.String("provider")
	m.Credential = d.String("credential")
}

func (m *LogInResult) appendBody(dst []byte) []byte {
	dst = wire.AppendUvarint(dst, m.RequestIdent)
	dst = wire.AppendString(dst, m.User)
	dst = wire.AppendString(dst, m.AccessToken)
	dst = wire.AppendUvarint(dst, uint64(m.Code))
	return wire.AppendString(dst, m.Message)
}

func (m *LogInResult) decodeBody(d *wire.Decoder) {
	m.RequestIdent = d.Uvarint("request ident")
	m.User = d.String("user")
	m.AccessToken = d.String("access token")
	m.Code = ErrorCode(d.Uvarint("error code"))
	m.Message = d.String("message")
}
