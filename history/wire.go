package history

import "cmp"

// Upload is one UPLOAD message. [Call, Return] must contain the moment the
// server integrated its changesets: from the client's send (tighter: the
// message's arrival at the server, which the simulated network sees) to the
// first DOWNLOAD, in this or a later session, whose acknowledged upload
// cursor covers its last changeset (tighter: when that DOWNLOAD was sent
// rather than received). A reply never seen: Return = Infinite, Outcome
// unknown. The tighter the intervals, the less porcupine has to search.
type Upload struct {
	Client   string        `json:"client"`
	Realm    string        `json:"realm"`
	File     uint64        `json:"file"`     // the replica's client file ident
	FileSalt uint64        `json:"fileSalt"` // the salt that came with the ident
	Epoch    uint64        `json:"epoch"`    // ServerVersionSalt of the session's first DOWNLOAD
	IDs      []ChangesetID `json:"ids"`      // the changesets sent, in order (File == File)
	Call     int64         `json:"call"`
	Return   int64         `json:"return"`
	Outcome  Outcome       `json:"outcome"`
	Acked    uint64        `json:"acked,omitempty"` // OutcomeOK: UploadCursor.ClientVersion of the acknowledgement
	Code     Code          `json:"code,omitempty"`  // OutcomeReset
	// Base is the lowest server version its changesets are based on, of
	// those based on one (0: none).
	Base uint64 `json:"base,omitempty"`
	Seq
}

// Download is one DOWNLOAD message received (or the error that came
// instead). [Call, Return] must contain the moment the server produced it.
// The simulation knows that moment: Call = Return = when the server sent
// it (the network's send time). A client alone knows only [the session's
// CLIENT_IDENT, the receipt], which is sound but lets porcupine's search
// grow exponentially with the uploads in flight; the previous download's
// receipt is NOT a sound Call (the server sends several DOWNLOADs before the
// first arrives).
//
// From is the client's cursor the server continued from: the one presented
// in CLIENT_IDENT for a session's first download (FromSalt: the
// ServerVersionSalt presented, 0 for a fresh replica), else the previous
// download's To (FromSalt: the session's salt).
type Download struct {
	Client   string  `json:"client"`
	Realm    string  `json:"realm"`
	File     uint64  `json:"file"`
	FileSalt uint64  `json:"fileSalt"`
	From     Cursor  `json:"from"`
	FromSalt uint64  `json:"fromSalt"`
	Call     int64   `json:"call"`
	Return   int64   `json:"return"`
	Outcome  Outcome `json:"outcome"`
	Code     Code    `json:"code,omitempty"` // OutcomeReset
	// OutcomeOK: the message's fields.
	Entries []Entry `json:"entries,omitempty"` // the changesets received, in order
	To      Cursor  `json:"to"`                // DownloadCursor
	Salt    uint64  `json:"salt,omitempty"`    // ServerVersionSalt
	Latest  uint64  `json:"latest,omitempty"`  // LatestServerVersion
	Acked   uint64  `json:"acked,omitempty"`   // UploadCursor.ClientVersion
	// Received is when the client received it (0: at Return). What the
	// client had integrated when it wrote or read is judged by it.
	Received int64 `json:"received,omitempty"`
	// First: the session's first DOWNLOAD, the answer to its CLIENT_IDENT
	// (a compacted history's floor is checked then, not against a session
	// already downloading).
	First bool `json:"first,omitempty"`
	Seq
}

// ReceivedAt is when the client received d.
func (d *Download) ReceivedAt() int64 { return cmp.Or(d.Received, d.Return) }

// NewFile is the server handing out a client file ident: Call when the
// BIND asking for it was sent, Return when SERVER_IDENT arrived.
type NewFile struct {
	Client string `json:"client"`
	Realm  string `json:"realm"`
	File   uint64 `json:"file"`
	Salt   uint64 `json:"salt"`
	Call   int64  `json:"call"`
	Return int64  `json:"return"`
	Seq
}

// Revert is a compensating write reported to a client (ERROR
// CompensatingWrite, At when the server sent the report, which may never
// arrive): the server reverted what changeset Changeset did to Object,
// with a server-made changeset right after it in the history.
type Revert struct {
	Client    string      `json:"client"`
	Realm     string      `json:"realm"`
	Changeset ChangesetID `json:"changeset"`
	Object    string      `json:"object"`
	At        int64       `json:"at"`
}

// Bound is a session the server held bound to a client file, as the wire
// showed it: Begin when the client sent the BIND asking for a new ident or
// its CLIENT_IDENT; Accepted when the server sent its first DOWNLOAD (the
// CLIENT_IDENT accepted by then; 0: never seen); End when the server's
// side of it ended (it sent an ERROR ending it, an UNBIND reached it, or
// the server's end of the connection closed; Infinite: never seen). Every
// contact of the server with the file (new ident, CLIENT_IDENT, UPLOAD,
// integration) happens within one of its sessions; the file is live while
// one is bound.
type Bound struct {
	Client      string `json:"client"`
	Realm       string `json:"realm"`
	File        uint64 `json:"file"`
	Begin       int64  `json:"begin"`
	Accepted    int64  `json:"accepted,omitempty"`
	AcceptedSeq uint64 `json:"acceptedSeq,omitempty"`
	End         int64  `json:"end"`
	EndSeq      uint64 `json:"endSeq,omitempty"`
}
