// Package mutant is a catalogue of deliberate engine bugs, each off by
// default and switched on by name, that prove the oracles catch what they
// are for (DESIGN §5 "Mutants"): a test runs a scenario with one mutant on
// and asserts that the oracle named for it convicts the run, while the
// unmutated engine passes the same seeds.
//
// A Set of mutants travels by value in the engine's option structs
// (server.Options, client.AppConfig, replica.Options, and the merge entry
// point merge.TransformSeqWith), never as global state, so that many worlds
// with different mutants run side by side in one process. Each mutant is
// one `if set.Has(mutant.X)` at the exact place of the bug, commented
// "MUTANT"; the zero Set switches none on.
package mutant

import (
	"fmt"
	"strings"
)

// Mutant is one catalogued engine bug.
type Mutant uint8

// The catalogue. The order is the catalogue's order; the values are not
// stable across versions (names are).
const (
	_ Mutant = iota

	// UpdateIgnoresDiscriminant: Update vs Update of one field ignores the
	// discriminant and isDefault: the changeset being integrated (the
	// server's upload, the client's own unsynced change) always wins.
	UpdateIgnoresDiscriminant
	// EraseLosesToCreate: EraseObject vs a concurrent CreateObject of the
	// same object: the create wins and the erase is dropped.
	EraseLosesToCreate
	// InsertTieUnordered: concurrent list inserts at the same index ignore
	// the discriminant: each side puts the other's element first.
	InsertTieUnordered
	// AddLosesToAdd: concurrent AddIntegers of one field do not commute:
	// the one with the lower discriminant is dropped.
	AddLosesToAdd

	// ResentUploadIntegratedTwice: a re-sent copy of a file's last
	// integrated changeset is integrated again as a new history entry.
	ResentUploadIntegratedTwice
	// OwnChangesetEchoed: downloads include the client's own changesets.
	OwnChangesetEchoed
	// DownloadSkipsChangeset: a DOWNLOAD of several changesets leaves its
	// last one out, though its cursor moves past it.
	DownloadSkipsChangeset
	// DownloadOverlapsCursor: a session's downloads start one server
	// version before the cursor the client presented (the client's dedup
	// hides it; the log is no longer delivered exactly once).
	DownloadOverlapsCursor

	// AckBeforeSync: the server counts appended journal records as durable
	// without syncing them, so it acknowledges (and serves) what a crash
	// loses.
	AckBeforeSync

	// RestoreKeepsSalt: a restore from backup keeps the epoch salt.
	RestoreKeepsSalt
	// EnableLosesData: re-enabling sync after a terminate starts the new
	// epoch from an empty realm: the data does not survive.
	EnableLosesData
	// CompactionExpiresSeen: compaction expires a client file seen within
	// the maximum offline time (more than half of it ago).
	CompactionExpiresSeen
	// CompactionKeepsStale: compaction never expires a client file, however
	// long it was not seen.
	CompactionKeepsStale
	// CompactionFloorOff: compaction puts the history's floor at the
	// latest version, trimming entries younger than the maximum offline
	// time (legal cursors get bad server version).
	CompactionFloorOff

	// RecoverResurrectsDeleted: recovery re-creates an object the server
	// deleted when an unsynced local change touches it.
	RecoverResurrectsDeleted
	// DiscardUnreported: a discarding reset does not report the unsynced
	// changesets it deleted.
	DiscardUnreported
	// ManualBackupLosesLast: a manual reset's backup copy leaves out the
	// replica journal's last record.
	ManualBackupLosesLast
	// RecoverOrDiscardNoFallback: recoverOrDiscard does not fall back to
	// discard when recovery is not allowed; it goes to the manual handler.
	RecoverOrDiscardNoFallback

	// BackoffNeverResets: the reconnect backoff never starts over, neither
	// after a successful session nor on an explicit resume.
	BackoffNeverResets
	// UploadWaitBeforeAck: the upload-completion wait completes once the
	// changes are sent, before the server acknowledges them.
	UploadWaitBeforeAck

	count
)

// Layer is the part of the engine a mutant breaks.
type Layer string

// The layers.
const (
	LayerMerge      Layer = "merge"      // engine/merge: the conflict rules
	LayerProtocol   Layer = "protocol"   // engine/server: sessions, uploads, downloads
	LayerDurability Layer = "durability" // engine/server: what is on disk before it is promised
	LayerLifecycle  Layer = "lifecycle"  // engine/server: backup and restore, terminate and enable
	LayerReset      Layer = "reset"      // engine/client, engine/replica: client reset modes
	LayerSession    Layer = "session"    // engine/client: the sync session
)

type info struct {
	name  string
	layer Layer
	desc  string
}

var catalogue = [count]info{
	UpdateIgnoresDiscriminant:   {"update-ignores-discriminant", LayerMerge, "Update vs Update of one field ignores the discriminant and isDefault: the changeset being integrated always wins"},
	EraseLosesToCreate:          {"erase-loses-to-create", LayerMerge, "EraseObject vs a concurrent CreateObject of the same object: the create wins, the erase is dropped"},
	InsertTieUnordered:          {"insert-tie-unordered", LayerMerge, "concurrent list inserts at the same index ignore the discriminant: each side puts the other's element first"},
	AddLosesToAdd:               {"add-loses-to-add", LayerMerge, "concurrent AddIntegers of one field do not commute: the one with the lower discriminant is dropped"},
	ResentUploadIntegratedTwice: {"resent-upload-integrated-twice", LayerProtocol, "a re-sent copy of a file's last integrated changeset is integrated again"},
	OwnChangesetEchoed:          {"own-changeset-echoed", LayerProtocol, "downloads include the client's own changesets"},
	DownloadSkipsChangeset:      {"download-skips-changeset", LayerProtocol, "a DOWNLOAD of several changesets leaves its last one out, though its cursor moves past it"},
	DownloadOverlapsCursor:      {"download-overlaps-cursor", LayerProtocol, "downloads start one server version before the cursor the client presented"},
	AckBeforeSync:               {"ack-before-sync", LayerDurability, "the server acknowledges and serves journal records it has appended but not synced"},
	RestoreKeepsSalt:            {"restore-keeps-salt", LayerLifecycle, "a restore from backup keeps the epoch salt"},
	EnableLosesData:             {"enable-loses-data", LayerLifecycle, "re-enabling sync after a terminate starts the new epoch from an empty realm: the data does not survive"},
	CompactionExpiresSeen:       {"compaction-expires-seen", LayerLifecycle, "compaction expires a client file seen within the maximum offline time (more than half of it ago)"},
	CompactionKeepsStale:        {"compaction-keeps-stale", LayerLifecycle, "compaction never expires a client file, however long it was not seen"},
	CompactionFloorOff:          {"compaction-floor-off", LayerLifecycle, "compaction puts the history's floor at the latest version, trimming entries younger than the maximum offline time"},
	RecoverResurrectsDeleted:    {"recover-resurrects-deleted", LayerReset, "recovery re-creates an object the server deleted when an unsynced local change touches it"},
	DiscardUnreported:           {"discard-unreported", LayerReset, "a discarding reset does not report the unsynced changesets it deleted"},
	ManualBackupLosesLast:       {"manual-backup-loses-last", LayerReset, "a manual reset's backup copy leaves out the replica journal's last record"},
	RecoverOrDiscardNoFallback:  {"recover-or-discard-no-fallback", LayerReset, "recoverOrDiscard goes to the manual handler instead of discarding when recovery is not allowed"},
	BackoffNeverResets:          {"backoff-never-resets", LayerSession, "the reconnect backoff never starts over, after a successful session or a resume"},
	UploadWaitBeforeAck:         {"upload-wait-before-ack", LayerSession, "the upload-completion wait completes when the changes are sent, before they are acknowledged"},
}

// All lists the catalogue in order.
func All() []Mutant {
	out := make([]Mutant, 0, count-1)
	for m := Mutant(1); m < count; m++ {
		out = append(out, m)
	}
	return out
}

func (m Mutant) valid() bool { return m > 0 && m < count }

// Name is the mutant's name, by which configurations switch it on.
func (m Mutant) Name() string {
	if !m.valid() {
		return fmt.Sprintf("mutant(%d)", uint8(m))
	}
	return catalogue[m].name
}

func (m Mutant) String() string { return m.Name() }

// Layer is the part of the engine the mutant breaks.
func (m Mutant) Layer() Layer {
	if !m.valid() {
		return ""
	}
	return catalogue[m].layer
}

// Description says what the bug does.
func (m Mutant) Description() string {
	if !m.valid() {
		return ""
	}
	return catalogue[m].desc
}

// Lookup finds a mutant by name.
func Lookup(name string) (Mutant, error) {
	for _, m := range All() {
		if catalogue[m].name == name {
			return m, nil
		}
	}
	return 0, fmt.Errorf("mutant: no mutant named %q", name)
}

// Set is a set of mutants switched on. The zero value is the unmutated
// engine. It is a value: copy it freely.
type Set uint64

// Of returns the set of ms.
func Of(ms ...Mutant) Set {
	var s Set
	for _, m := range ms {
		if m.valid() {
			s |= 1 << m
		}
	}
	return s
}

// Parse returns the set of the named mutants; an unknown name is an error
// naming it.
func Parse(names []string) (Set, error) {
	var s Set
	for _, n := range names {
		m, err := Lookup(n)
		if err != nil {
			return 0, err
		}
		s |= Of(m)
	}
	return s, nil
}

// Has reports whether m is switched on.
func (s Set) Has(m Mutant) bool { return m.valid() && s&(1<<m) != 0 }

// Mutants lists the mutants switched on, in catalogue order.
func (s Set) Mutants() []Mutant {
	var out []Mutant
	for _, m := range All() {
		if s.Has(m) {
			out = append(out, m)
		}
	}
	return out
}

// String is the names of the mutants switched on, comma-separated ("" for
// none).
func (s Set) String() string {
	var names []string
	for _, m := range s.Mutants() {
		names = append(names, m.Name())
	}
	return strings.Join(names, ",")
}
