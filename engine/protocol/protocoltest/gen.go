// Package protocoltest provides rapid generators of valid protocol
// messages, for property tests and fuzz seeds in any package. A message
// without changesets has a nil Changesets slice, as Decode returns it.
package protocoltest

import (
	"time"

	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset/changesettest"
	"github.com/syncsim/syncsim/engine/protocol"
)

func ident() *rapid.Generator[uint64] {
	return rapid.OneOf(rapid.Uint64Range(1, 5), rapid.Uint64Min(1))
}

func version() *rapid.Generator[uint64] {
	return rapid.OneOf(rapid.Uint64Range(0, 20), rapid.Uint64())
}

// DownloadCursor generates a download cursor.
func DownloadCursor() *rapid.Generator[protocol.DownloadCursor] {
	return rapid.Custom(func(t *rapid.T) protocol.DownloadCursor {
		return protocol.DownloadCursor{ServerVersion: version().Draw(t, "serverVersion"),
			LastIntegratedClientVersion: version().Draw(t, "lastIntegratedClientVersion")}
	})
}

// UploadCursor generates an upload cursor.
func UploadCursor() *rapid.Generator[protocol.UploadCursor] {
	return rapid.Custom(func(t *rapid.T) protocol.UploadCursor {
		return protocol.UploadCursor{ClientVersion: version().Draw(t, "clientVersion"),
			LastIntegratedServerVersion: version().Draw(t, "lastIntegratedServerVersion")}
	})
}

// Bind generates a BIND.
func Bind() *rapid.Generator[*protocol.Bind] {
	return rapid.Custom(func(t *rapid.T) *protocol.Bind {
		return &protocol.Bind{
			SessionIdent:        ident().Draw(t, "session"),
			Path:                rapid.OneOf(rapid.SampledFrom([]string{"/catalog", "/team/1", "/users/u1"}), rapid.StringN(1, 20, 80)).Draw(t, "path"),
			User:                rapid.String().Draw(t, "user"),
			Token:               rapid.String().Draw(t, "token"),
			NeedClientFileIdent: rapid.Bool().Draw(t, "needIdent"),
			SchemaVersion:       version().Draw(t, "schemaVersion"),
		}
	})
}

// ServerIdent generates a SERVER_IDENT.
func ServerIdent() *rapid.Generator[*protocol.ServerIdent] {
	return rapid.Custom(func(t *rapid.T) *protocol.ServerIdent {
		return &protocol.ServerIdent{SessionIdent: ident().Draw(t, "session"),
			ClientFileIdent: ident().Draw(t, "fileIdent"), Salt: rapid.Uint64().Draw(t, "salt")}
	})
}

// ClientIdent generates a CLIENT_IDENT.
func ClientIdent() *rapid.Generator[*protocol.ClientIdent] {
	return rapid.Custom(func(t *rapid.T) *protocol.ClientIdent {
		return &protocol.ClientIdent{
			SessionIdent:      ident().Draw(t, "session"),
			ClientFileIdent:   ident().Draw(t, "fileIdent"),
			ClientFileSalt:    rapid.Uint64().Draw(t, "fileSalt"),
			DownloadCursor:    DownloadCursor().Draw(t, "download"),
			ServerVersionSalt: rapid.Uint64().Draw(t, "serverVersionSalt"),
		}
	})
}

// Upload generates an UPLOAD with up to 4 changesets.
func Upload() *rapid.Generator[*protocol.Upload] {
	return rapid.Custom(func(t *rapid.T) *protocol.Upload {
		m := &protocol.Upload{
			SessionIdent:        ident().Draw(t, "session"),
			UploadCursor:        UploadCursor().Draw(t, "upload"),
			LockedServerVersion: version().Draw(t, "locked"),
			ServerVersionSalt:   rapid.Uint64().Draw(t, "salt"),
		}
		for _, cs := range rapid.SliceOfN(changesettest.Changeset(), 0, 4).Draw(t, "changesets") {
			m.Changesets = append(m.Changesets, *cs)
		}
		return m
	})
}

// ServerChangeset generates a changeset as downloaded.
func ServerChangeset() *rapid.Generator[protocol.ServerChangeset] {
	return rapid.Custom(func(t *rapid.T) protocol.ServerChangeset {
		return protocol.ServerChangeset{
			ServerVersion:               version().Draw(t, "serverVersion"),
			LastIntegratedClientVersion: version().Draw(t, "lastIntegratedClientVersion"),
			Changeset:                   *changesettest.Changeset().Draw(t, "changeset"),
		}
	})
}

// Download generates a DOWNLOAD with up to 4 changesets.
func Download() *rapid.Generator[*protocol.Download] {
	return rapid.Custom(func(t *rapid.T) *protocol.Download {
		m := &protocol.Download{
			SessionIdent:        ident().Draw(t, "session"),
			DownloadCursor:      DownloadCursor().Draw(t, "download"),
			ServerVersionSalt:   rapid.Uint64().Draw(t, "salt"),
			LatestServerVersion: version().Draw(t, "latest"),
			UploadCursor:        UploadCursor().Draw(t, "upload"),
			DownloadableBytes:   version().Draw(t, "downloadable"),
			Changesets:          rapid.SliceOfN(ServerChangeset(), 0, 4).Draw(t, "changesets"),
		}
		if len(m.Changesets) == 0 {
			m.Changesets = nil
		}
		return m
	})
}

// Mark generates a MARK.
func Mark() *rapid.Generator[*protocol.Mark] {
	return rapid.Custom(func(t *rapid.T) *protocol.Mark {
		return &protocol.Mark{SessionIdent: ident().Draw(t, "session"), RequestIdent: version().Draw(t, "request")}
	})
}

// Unbind generates an UNBIND.
func Unbind() *rapid.Generator[*protocol.Unbind] {
	return rapid.Custom(func(t *rapid.T) *protocol.Unbind {
		return &protocol.Unbind{SessionIdent: ident().Draw(t, "session")}
	})
}

// Error generates an ERROR with a known code and action (any of them, not
// necessarily the code's own), about a session or the connection.
func Error() *rapid.Generator[*protocol.Error] {
	return rapid.Custom(func(t *rapid.T) *protocol.Error {
		m := &protocol.Error{
			SessionIdent: rapid.OneOf(rapid.Just(uint64(0)), ident()).Draw(t, "session"),
			Code:         rapid.SampledFrom(protocol.Codes()).Draw(t, "code"),
			Message:      rapid.String().Draw(t, "message"),
			Backoff:      time.Duration(rapid.Int64Min(0).Draw(t, "backoff")),
		}
		m.Action = rapid.OneOf(rapid.Just(m.Code.Action()),
			rapid.Map(rapid.IntRange(int(protocol.ActionRetry), int(protocol.ActionRevert)),
				func(i int) protocol.Action { return protocol.Action(i) })).Draw(t, "action")
		if m.Code == protocol.CompensatingWrite {
			m.Compensation = Compensation().Draw(t, "compensation")
		}
		return m
	})
}

// Compensation generates a compensating write's compensation: a client
// version and 1..6 objects, columns and tables.
func Compensation() *rapid.Generator[*protocol.Compensation] {
	return rapid.Custom(func(t *rapid.T) *protocol.Compensation {
		return &protocol.Compensation{ClientVersion: ident().Draw(t, "clientVersion"),
			Reverted: rapid.SliceOfN(Reverted(), 1, 6).Draw(t, "reverted")}
	})
}

// Reverted generates an object (int or string key), column or table a
// compensating write reverted.
func Reverted() *rapid.Generator[protocol.Reverted] {
	return rapid.Custom(func(t *rapid.T) protocol.Reverted {
		r := protocol.Reverted{Kind: rapid.SampledFrom([]protocol.RevertedKind{protocol.RevertedObject, protocol.RevertedColumn,
			protocol.RevertedTable}).Draw(t, "kind"), Class: changesettest.Name().Draw(t, "class")}
		switch r.Kind {
		case protocol.RevertedObject:
			r.PK = changesettest.PK().Draw(t, "pk")
		case protocol.RevertedColumn:
			r.Field = changesettest.Name().Draw(t, "field")
		}
		return r
	})
}

// Ping generates a PING.
func Ping() *rapid.Generator[*protocol.Ping] {
	return rapid.Custom(func(t *rapid.T) *protocol.Ping {
		return &protocol.Ping{Timestamp: rapid.Int64().Draw(t, "timestamp"),
			RTT: time.Duration(rapid.Int64Min(0).Draw(t, "rtt"))}
	})
}

// Pong generates a PONG.
func Pong() *rapid.Generator[*protocol.Pong] {
	return rapid.Custom(func(t *rapid.T) *protocol.Pong {
		return &protocol.Pong{Timestamp: rapid.Int64().Draw(t, "timestamp")}
	})
}

// Message generates a message of any type.
func Message() *rapid.Generator[protocol.Message] {
	return rapid.OneOf(
		asMessage(Bind()), asMessage(ServerIdent()), asMessage(ClientIdent()), asMessage(Upload()),
		asMessage(Download()), asMessage(Mark()), asMessage(Unbind()), asMessage(Error()),
		asMessage(Ping()), asMessage(Pong()), asMessage(LogIn()), asMessage(LogInResult()),
	)
}

func asMessage[M protocol.Message](g *rapid.Generator[M]) *rapid.Generator[protocol.Message] {
	return rapid.Map(g, func(m M) protocol.Message { return m })
}

// LogIn generates a LOGIN.
func LogIn() *rapid.Generator[*protocol.LogIn] {
	return rapid.Custom(func(t *rapid.T) *protocol.LogIn {
		return &protocol.LogIn{
			RequestIdent: rapid.Uint64().Draw(t, "request"),
			Provider:     rapid.SampledFrom([]string{"anonymous", "token"}).Draw(t, "provider"),
			Credential:   rapid.String().Draw(t, "credential"),
		}
	})
}

// LogInResult generates a LOGIN_RESULT, a success or a refusal.
func LogInResult() *rapid.Generator[*protocol.LogInResult] {
	return rapid.Custom(func(t *rapid.T) *protocol.LogInResult {
		m := &protocol.LogInResult{RequestIdent: rapid.Uint64().Draw(t, "request")}
		if rapid.Bool().Draw(t, "refused") {
			m.Code = rapid.SampledFrom(protocol.Codes()).Draw(t, "code")
			m.Message = rapid.String().Draw(t, "message")
		} else {
			m.User = rapid.StringN(1, 20, -1).Draw(t, "user")
			m.AccessToken = rapid.StringN(1, 40, -1).Draw(t, "token")
		}
		return m
	})
}
