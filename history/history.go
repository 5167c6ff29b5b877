package history

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
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

// judged reports whether the sync-log model decides when c is due.
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

// receivedAt is when the client received d.
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

// The harness's own operations on a realm (DESIGN §1, §5): what the
// harness did and when, with the parameters it gave the server — never
// what the server decided. The oracles derive what each did (the server
// version a backup holds, what a restore rolled back, the new epoch's
// salt, the files a compaction expired, the compacted history's floor)
// from the observed operations. Seq orders each among the events of its
// instant At (see Seq; 0: unknown).

// Backup is the harness taking a backup snapshot of a realm, instantaneous.
// ID names it for a later Restore (unique per realm).
type Backup struct {
	Realm string `json:"realm"`
	ID    int    `json:"id"`
	At    int64  `json:"at"`
	Seq   uint64 `json:"seq,omitempty"`
}

// Restore is the harness restoring a realm from an earlier Backup: the
// history goes back to the snapshot under a new epoch salt.
type Restore struct {
	Realm  string `json:"realm"`
	Backup int    `json:"backup"`
	At     int64  `json:"at"`
	Seq    uint64 `json:"seq,omitempty"`
}

// Terminate is the harness terminating and re-enabling sync of a realm,
// one operation at the re-enable: every client file is forgotten and a
// new epoch (new salt) starts, its history cleared but for the data,
// which survives (the server may rebuild it as one server-made changeset
// at server version 1).
type Terminate struct {
	Realm string `json:"realm"`
	At    int64  `json:"at"`
	Seq   uint64 `json:"seq,omitempty"`
}

// Compact is the harness compacting a realm's history at At with the
// client maximum offline time MaxOffline it gave the server: the horizon
// is At - MaxOffline; files last seen before it (not bound in a session)
// expire, and the history integrated before it is trimmed (its floor).
type Compact struct {
	Realm      string `json:"realm"`
	At         int64  `json:"at"`
	MaxOffline int64  `json:"maxOffline"` // nanoseconds
	Seq        uint64 `json:"seq,omitempty"`
}

// Horizon is the compaction's horizon: At - MaxOffline.
func (c *Compact) Horizon() int64 { return c.At - c.MaxOffline }

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

// WriteID names one local write; unique in a run.
type WriteID uint64

// EffectOp is what one instruction of a write did.
type EffectOp string

// The effects, one per instruction of the write's changeset (schema
// instructions are left out). Judged: the write-accounting oracle looks
// for the effect in the final state. The others only explain why a judged
// effect of another write is not there.
const (
	// EffectSet (judged): Update of scalar or link Field to Value.
	EffectSet EffectOp = ""
	// EffectCreate (judged): CreateObject of Object (Field, Value empty).
	EffectCreate EffectOp = "create"
	// EffectErase (judged): EraseObject of Object.
	EffectErase EffectOp = "erase"
	// EffectAdd: AddInteger on Field; Value is the delta.
	EffectAdd EffectOp = "add"
	// EffectInsert (judged): ArrayInsert of element Value into list Field.
	EffectInsert EffectOp = "insert"
	// EffectSetElement (judged): Update of an element of list Field to Value.
	EffectSetElement EffectOp = "setElement"
	// EffectEraseElement: ArrayErase in list Field.
	EffectEraseElement EffectOp = "eraseElement"
	// EffectMove: ArrayMove in list Field.
	EffectMove EffectOp = "move"
	// EffectClear: Clear of list Field.
	EffectClear EffectOp = "clear"
)

func (op EffectOp) Valid() bool {
	switch op {
	case EffectSet, EffectCreate, EffectErase, EffectAdd, EffectInsert, EffectSetElement, EffectEraseElement, EffectMove, EffectClear:
		return true
	}
	return false
}

// FieldValue is one effect of a write: what one instruction did, in the
// order of the changeset's instructions. Object is ObjectName(class, pk);
// Value is Value.String() of the value written (a link renders as the
// target's ObjectName, and then Link names the target too).
type FieldValue struct {
	Object  string   `json:"object"`
	Field   string   `json:"field"`
	Value   string   `json:"value"`
	Op      EffectOp `json:"op,omitempty"`
	Default bool     `json:"default,omitempty"` // an isDefault Update
	Link    string   `json:"link,omitempty"`    // a link value: the target's ObjectName
}

// Write is one local write transaction and the changeset it produced.
// Changeset names it by the client file ident it is uploaded under (the
// World may fill the ident in once the replica has one) and its client
// version; Timestamp is the changeset's OriginTimestamp (the writing
// client's clock), so (Timestamp, Changeset.File) is its discriminant.
// Call is when the transaction began (what it had seen), Return when it
// committed (durably: local writes always succeed).
type Write struct {
	Client    string       `json:"client"`
	Realm     string       `json:"realm"`
	ID        WriteID      `json:"id"`
	Changeset ChangesetID  `json:"changeset"`
	Timestamp int64        `json:"timestamp"`
	Call      int64        `json:"call"`
	Return    int64        `json:"return"`
	Fields    []FieldValue `json:"fields"`
}

// Read is one local read of a scalar or link field: Value is
// Value.String() of the value as it reads (a link to a missing object
// reads as null: "null"); "" when the object does not exist. A local read
// is instantaneous: Call = Return = when it was made.
//
// The session-guarantees oracle derives what the replica had integrated
// when it read from the rest of the history: the client's own Writes
// committed before it, every changeset of a Download the client received
// before it (the fresh copies of client resets included: every DOWNLOAD
// the client's process receives must be recorded), and the Resets.
type Read struct {
	Client string `json:"client"`
	Realm  string `json:"realm"`
	Object string `json:"object"`
	Field  string `json:"field"`
	Value  string `json:"value"`
	Call   int64  `json:"call"`
	Return int64  `json:"return"`
}

// WaitOutcome is how a wait for upload or download completion ended.
type WaitOutcome string

// The wait outcomes.
const (
	WaitCompleted WaitOutcome = "completed"
	WaitTimedOut  WaitOutcome = "timed out"
	WaitCancelled WaitOutcome = "cancelled"
	WaitFailed    WaitOutcome = "failed"
)

// WaitUpload is a wait for upload completion. Covered: the changesets it
// promised acknowledged (every local changeset committed before Call).
type WaitUpload struct {
	Client  string        `json:"client"`
	Realm   string        `json:"realm"`
	Call    int64         `json:"call"`
	Return  int64         `json:"return"`
	Covered []ChangesetID `json:"covered"`
	Outcome WaitOutcome   `json:"outcome"`
}

// WaitDownload is a wait for download completion. Integrated: every
// changeset present in the replica when it completed, its own and
// downloaded ones.
type WaitDownload struct {
	Client     string        `json:"client"`
	Realm      string        `json:"realm"`
	Call       int64         `json:"call"`
	Return     int64         `json:"return"`
	Integrated []ChangesetID `json:"integrated"`
	Outcome    WaitOutcome   `json:"outcome"`
}

// ResetMode is a client reset mode.
type ResetMode string

// The reset modes.
const (
	ModeManual           ResetMode = "manual"
	ModeDiscard          ResetMode = "discard"
	ModeRecover          ResetMode = "recover"
	ModeRecoverOrDiscard ResetMode = "recoverOrDiscard"
)

func (m ResetMode) Valid() bool {
	return m == ModeManual || m == ModeDiscard || m == ModeRecover || m == ModeRecoverOrDiscard
}

// ResetOutcome is how a client reset ended.
type ResetOutcome string

// The reset outcomes.
const (
	ResetRecovered ResetOutcome = "recovered"
	ResetDiscarded ResetOutcome = "discarded"
	ResetManual    ResetOutcome = "manual"
	ResetFailed    ResetOutcome = "failed"
)

func (o ResetOutcome) Valid() bool {
	return o == ResetRecovered || o == ResetDiscarded || o == ResetManual || o == ResetFailed
}

// Reset is one client reset of a replica: Mode is the configured mode,
// Outcome what the replica did.
//
//   - Discarded, DiscardedWrites: what a reset that discarded reported to
//     the app (the before/after callbacks): the unsynced changesets and the
//     writes that made them.
//   - RecoveredAs, RecoveryTimestamp: a reset that recovered uploads the
//     recovered changes as one new local changeset: its id (new file,
//     version) and OriginTimestamp. Zero when recovery made no changeset
//     (nothing to recover, or nothing that differed from the fresh copy).
type Reset struct {
	Client            string        `json:"client"`
	Realm             string        `json:"realm"`
	Mode              ResetMode     `json:"mode"`
	Outcome           ResetOutcome  `json:"outcome"`
	Code              Code          `json:"code"`
	Call              int64         `json:"call"`
	Return            int64         `json:"return"`
	OldFile           uint64        `json:"oldFile"`
	NewFile           uint64        `json:"newFile,omitempty"` // the fresh copy's ident (0 if none)
	Discarded         []ChangesetID `json:"discarded,omitempty"`
	DiscardedWrites   []WriteID     `json:"discardedWrites,omitempty"`
	RecoveredAs       ChangesetID   `json:"recoveredAs,omitzero"`
	RecoveryTimestamp int64         `json:"recoveryTimestamp,omitempty"`
	// Asked is when the error asking for the reset reached the client (0:
	// at Call); the views draw the reset from there to Return.
	Asked int64 `json:"asked,omitempty"`
}

// ResetCheck is what the client-reset oracle needs of one client reset, in
// the plain model, recorded by the World for every Reset (same Client,
// Realm and Call):
//   - Mode: the configured mode; Code: the error's code; NoRecovery: the
//     error's action was "client reset without recovery" (recovery disabled
//     on the server, or a schema change);
//   - Pending: the mode of the "reset in progress" record pending in the
//     replica when the reset was asked for ("" none; else ModeDiscard or
//     ModeRecover: the mode that reset attempted);
//   - Outcome: what the replica did;
//   - Fresh: the fresh copy's state once downloaded (nil if none was);
//   - Unsynced: the local changesets past the acknowledged upload cursor,
//     in order, in their original form;
//   - Before: the replica's state when the reset began (after Unsynced);
//     After: its state when the reset ended;
//   - Backup (manual outcome): the backup copy handed to the handler.
type ResetCheck struct {
	Client     string           `json:"client"`
	Realm      string           `json:"realm"`
	Call       int64            `json:"call"`
	Mode       ResetMode        `json:"mode"`
	Code       Code             `json:"code"`
	NoRecovery bool             `json:"noRecovery,omitempty"`
	Pending    ResetMode        `json:"pending,omitempty"`
	Outcome    ResetOutcome     `json:"outcome"`
	Fresh      *PlainState      `json:"fresh,omitempty"`
	Unsynced   []PlainChangeset `json:"unsynced,omitempty"`
	Before     PlainState       `json:"before"`
	After      PlainState       `json:"after"`
	Backup     *BackupCopy      `json:"backup,omitempty"`
}

// BackupCopy is a manual reset's backup copy, read back from its file: its
// state, and the ids of the local changesets its history holds past its
// acknowledged upload cursor.
type BackupCopy struct {
	State    PlainState    `json:"state"`
	Unsynced []ChangesetID `json:"unsynced"`
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

// Fault is one injected fault. Realm is empty for a fault that is not about
// one realm (a network partition, a server crash).
type Fault struct {
	Kind   string `json:"kind"`
	Target string `json:"target"`
	Realm  string `json:"realm,omitempty"`
	At     int64  `json:"at"`
	Detail string `json:"detail,omitempty"`
}

// Convergence is the end of a run: the server's and every replica's final
// canonical state hash.
type Convergence struct {
	HealAt   int64         `json:"healAt"`
	Deadline int64         `json:"deadline"`
	Servers  []ServerState `json:"servers"`
	Replicas []Replica     `json:"replicas"`
	Final    []FinalState  `json:"final,omitempty"`
}

// FinalState is a realm's final state on the server, in the plain model,
// recorded with the Convergence (write accounting judges writes against
// it): every object with every scalar property (null included) and every
// non-empty list, as stored.
type FinalState struct {
	Realm string `json:"realm"`
	PlainState
}

// ServerState is a realm's final state on the server.
type ServerState struct {
	Realm string `json:"realm"`
	Hash  string `json:"hash"`
}

// Replica is a replica's final state. Live replicas must converge (one whose
// sync was stopped, e.g. by a manual reset, is not live). ReachedAt is when
// its state last became equal to the server's final one (Infinite: never).
type Replica struct {
	Client    string `json:"client"`
	Realm     string `json:"realm"`
	Hash      string `json:"hash"`
	Live      bool   `json:"live"`
	ReachedAt int64  `json:"reachedAt"`
}

// History is everything a run recorded, in any order.
type History struct {
	Uploads       []Upload       `json:"uploads,omitempty"`
	Downloads     []Download     `json:"downloads,omitempty"`
	NewFiles      []NewFile      `json:"newFiles,omitempty"`
	Backups       []Backup       `json:"backups,omitempty"`
	Restores      []Restore      `json:"restores,omitempty"`
	Terminates    []Terminate    `json:"terminates,omitempty"`
	Compactions   []Compact      `json:"compactions,omitempty"`
	Bounds        []Bound        `json:"bounds,omitempty"`
	Writes        []Write        `json:"writes,omitempty"`
	Reads         []Read         `json:"reads,omitempty"`
	WaitUploads   []WaitUpload   `json:"waitUploads,omitempty"`
	WaitDownloads []WaitDownload `json:"waitDownloads,omitempty"`
	Resets        []Reset        `json:"resets,omitempty"`
	ResetChecks   []ResetCheck   `json:"resetChecks,omitempty"`
	Reverts       []Revert       `json:"reverts,omitempty"`
	Faults        []Fault        `json:"faults,omitempty"`
	Convergence   *Convergence   `json:"convergence,omitempty"`
}

// RealmHistory is the part of a history about one realm.
type RealmHistory struct {
	Realm   string
	History *History
}

// ByRealm splits h per realm, in order of realm path. Faults without a realm
// go to every realm; the convergence record is split by realm.
func (h *History) ByRealm() []RealmHistory {
	names := map[string]bool{}
	add := func(r string) { names[r] = true }
	for _, x := range h.Uploads {
		add(x.Realm)
	}
	for _, x := range h.Downloads {
		add(x.Realm)
	}
	for _, x := range h.NewFiles {
		add(x.Realm)
	}
	for _, x := range h.Backups {
		add(x.Realm)
	}
	for _, x := range h.Restores {
		add(x.Realm)
	}
	for _, x := range h.Terminates {
		add(x.Realm)
	}
	for _, x := range h.Compactions {
		add(x.Realm)
	}
	for _, x := range h.Bounds {
		add(x.Realm)
	}
	for _, x := range h.Writes {
		add(x.Realm)
	}
	for _, x := range h.Reads {
		add(x.Realm)
	}
	for _, x := range h.WaitUploads {
		add(x.Realm)
	}
	for _, x := range h.WaitDownloads {
		add(x.Realm)
	}
	for _, x := range h.Resets {
		add(x.Realm)
	}
	for _, x := range h.ResetChecks {
		add(x.Realm)
	}
	for _, x := range h.Reverts {
		add(x.Realm)
	}
	for _, x := range h.Faults {
		if x.Realm != "" {
			add(x.Realm)
		}
	}
	if c := h.Convergence; c != nil {
		for _, x := range c.Servers {
			add(x.Realm)
		}
		for _, x := range c.Replicas {
			add(x.Realm)
		}
		for _, x := range c.Final {
			add(x.Realm)
		}
	}
	out := make([]RealmHistory, 0, len(names))
	for _, name := range sortedKeys(names) {
		out = append(out, RealmHistory{Realm: name, History: h.realm(name)})
	}
	return out
}

func (h *History) realm(name string) *History {
	r := &History{
		Uploads:       filter(h.Uploads, func(x Upload) bool { return x.Realm == name }),
		Downloads:     filter(h.Downloads, func(x Download) bool { return x.Realm == name }),
		NewFiles:      filter(h.NewFiles, func(x NewFile) bool { return x.Realm == name }),
		Backups:       filter(h.Backups, func(x Backup) bool { return x.Realm == name }),
		Restores:      filter(h.Restores, func(x Restore) bool { return x.Realm == name }),
		Terminates:    filter(h.Terminates, func(x Terminate) bool { return x.Realm == name }),
		Compactions:   filter(h.Compactions, func(x Compact) bool { return x.Realm == name }),
		Bounds:        filter(h.Bounds, func(x Bound) bool { return x.Realm == name }),
		Writes:        filter(h.Writes, func(x Write) bool { return x.Realm == name }),
		Reads:         filter(h.Reads, func(x Read) bool { return x.Realm == name }),
		WaitUploads:   filter(h.WaitUploads, func(x WaitUpload) bool { return x.Realm == name }),
		WaitDownloads: filter(h.WaitDownloads, func(x WaitDownload) bool { return x.Realm == name }),
		Resets:        filter(h.Resets, func(x Reset) bool { return x.Realm == name }),
		ResetChecks:   filter(h.ResetChecks, func(x ResetCheck) bool { return x.Realm == name }),
		Reverts:       filter(h.Reverts, func(x Revert) bool { return x.Realm == name }),
		Faults:        filter(h.Faults, func(x Fault) bool { return x.Realm == name || x.Realm == "" }),
	}
	if c := h.Convergence; c != nil {
		r.Convergence = &Convergence{
			HealAt:   c.HealAt,
			Deadline: c.Deadline,
			Servers:  filter(c.Servers, func(x ServerState) bool { return x.Realm == name }),
			Replicas: filter(c.Replicas, func(x Replica) bool { return x.Realm == name }),
			Final:    filter(c.Final, func(x FinalState) bool { return x.Realm == name }),
		}
	}
	return r
}

func filter[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Validate reports the first way h is malformed: something the World must
// never emit, as opposed to a violation an oracle judges. Check refuses a
// malformed history.
func (h *History) Validate() error {
	var errs []string
	bad := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	interval := func(what string, i int, call, ret int64) {
		if call < 0 || ret < call {
			bad("%s %d: call %d and return %d are not an interval", what, i, call, ret)
		}
	}
	seqs := func(what string, i int, call, ret int64, s Seq) {
		if call == ret && s.CallSeq != 0 && s.ReturnSeq != 0 && s.ReturnSeq < s.CallSeq {
			bad("%s %d: returns (seq %d) before its call (seq %d) at the same instant", what, i, s.ReturnSeq, s.CallSeq)
		}
	}
	for i, u := range h.Uploads {
		interval("upload", i, u.Call, u.Return)
		seqs("upload", i, u.Call, u.Return, u.Seq)
		switch {
		case u.Client == "" || u.Realm == "":
			bad("upload %d: no client or realm", i)
		case len(u.IDs) == 0:
			bad("upload %d: no changesets", i)
		case u.Return == Infinite && u.Outcome != OutcomeUnknown:
			bad("upload %d: outcome %q without a reply", i, u.Outcome)
		}
		for j, id := range u.IDs {
			if id.File != u.File || id.Version == 0 || (j > 0 && id.Version <= u.IDs[j-1].Version) {
				bad("upload %d: changeset %v is not the next of file %d", i, id, u.File)
				break
			}
		}
		switch u.Outcome {
		case OutcomeOK:
			if len(u.IDs) > 0 && u.Acked < u.IDs[len(u.IDs)-1].Version {
				bad("upload %d: acknowledgement %d does not cover its last changeset", i, u.Acked)
			}
		case OutcomeReset:
			if !u.Code.Valid() {
				bad("upload %d: %q is not a reset code", i, u.Code)
			}
		case OutcomeUnknown:
		default:
			bad("upload %d: outcome %q", i, u.Outcome)
		}
	}
	for i, d := range h.Downloads {
		interval("download", i, d.Call, d.Return)
		seqs("download", i, d.Call, d.Return, d.Seq)
		if d.Client == "" || d.Realm == "" {
			bad("download %d: no client or realm", i)
		}
		if d.Received != 0 && (d.Received < d.Return || d.Received == Infinite) {
			bad("download %d: received at %d, before it was produced (%d) or never", i, d.Received, d.Return)
		}
		switch d.Outcome {
		case OutcomeOK:
			if d.Return == Infinite {
				bad("download %d: received at Infinite", i)
			}
		case OutcomeReset:
			if !d.Code.Valid() {
				bad("download %d: %q is not a reset code", i, d.Code)
			}
		case OutcomeUnknown:
		default:
			bad("download %d: outcome %q", i, d.Outcome)
		}
	}
	for i, f := range h.NewFiles {
		interval("new file", i, f.Call, f.Return)
		seqs("new file", i, f.Call, f.Return, f.Seq)
		if f.Client == "" || f.Realm == "" || f.File == 0 {
			bad("new file %d: no client, realm or ident", i)
		}
	}
	for i, b := range h.Bounds {
		interval("bound", i, b.Begin, b.End)
		if b.Client == "" || b.Realm == "" || b.File == 0 {
			bad("bound %d: no client, realm or ident", i)
		}
	}
	for i, c := range h.Compactions {
		if c.MaxOffline <= 0 {
			bad("compaction %d: maximum offline time %d", i, c.MaxOffline)
		}
	}
	backupAt := map[string]map[int]int64{}
	for i, b := range h.Backups {
		if backupAt[b.Realm] == nil {
			backupAt[b.Realm] = map[int]int64{}
		}
		if _, dup := backupAt[b.Realm][b.ID]; dup {
			bad("backup %d: id %d taken twice in realm %q", i, b.ID, b.Realm)
		}
		backupAt[b.Realm][b.ID] = b.At
	}
	for i, r := range h.Restores {
		at, ok := backupAt[r.Realm][r.Backup]
		if !ok || at > r.At {
			bad("restore %d: no backup %d of realm %q before it", i, r.Backup, r.Realm)
		}
	}
	for i, w := range h.WaitUploads {
		interval("wait upload", i, w.Call, w.Return)
	}
	for i, w := range h.WaitDownloads {
		interval("wait download", i, w.Call, w.Return)
	}
	ids := map[WriteID]bool{}
	for i, w := range h.Writes {
		interval("write", i, w.Call, w.Return)
		switch {
		case w.Client == "" || w.Realm == "":
			bad("write %d: no client or realm", i)
		case w.Changeset.Version == 0:
			bad("write %d: no changeset", i)
		case ids[w.ID]:
			bad("write %d: id %d taken twice", i, w.ID)
		}
		ids[w.ID] = true
		for _, f := range w.Fields {
			if !f.Op.Valid() || f.Object == "" {
				bad("write %d: effect %q on object %q", i, f.Op, f.Object)
				break
			}
		}
	}
	for i, r := range h.Reads {
		interval("read", i, r.Call, r.Return)
		if r.Client == "" || r.Realm == "" || r.Object == "" {
			bad("read %d: no client, realm or object", i)
		}
	}
	for i, r := range h.Resets {
		interval("reset", i, r.Call, r.Return)
		if r.Asked < 0 || r.Asked > r.Call {
			bad("reset %d: asked at %d, after its call %d", i, r.Asked, r.Call)
		}
		if !r.Mode.Valid() || !r.Outcome.Valid() {
			bad("reset %d: mode %q, outcome %q", i, r.Mode, r.Outcome)
		}
	}
	for i, r := range h.ResetChecks {
		if r.Client == "" || r.Realm == "" {
			bad("reset check %d: no client or realm", i)
		}
		if !r.Mode.Valid() || !r.Outcome.Valid() || (r.Pending != "" && r.Pending != ModeDiscard && r.Pending != ModeRecover) {
			bad("reset check %d: mode %q, outcome %q, pending %q", i, r.Mode, r.Outcome, r.Pending)
		}
	}
	if c := h.Convergence; c != nil && c.Deadline < c.HealAt {
		bad("convergence: deadline %d before heal %d", c.Deadline, c.HealAt)
	}
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Sprintf("and %d more", len(errs)-10))
	}
	if len(errs) > 0 {
		return fmt.Errorf("malformed history: %s", strings.Join(errs, "; "))
	}
	return nil
}
