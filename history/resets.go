package history

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
