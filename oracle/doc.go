// Package oracle judges a recorded history of a simulated run: what the
// clients observed (uploads acknowledged, downloads received, waits
// completed, resets) and what the harness did (backups, restores,
// terminations, compactions, faults).
//
// The oracles are written independently of engine/ and sim/ and import
// neither, so that a bug in the engine cannot hide in its judge; the World
// translates its observations into the plain types of history.go.
//
// Each oracle and the engine rules (DESIGN §3) it encodes, stated from
// DESIGN's words, never from engine/'s code:
//
//   - sync-log (synclog.go, derive.go): the server's history as a
//     sequential object, checked for linearizability with porcupine, one
//     realm at a time. Rules: server versions rise by one per integrated
//     changeset; an upload's changesets are integrated exactly once, in
//     order; a download is a contiguous slice of the log without the
//     client's own changesets, with the latest version and the acknowledged
//     upload cursor; the reset table (bad client file ident, diverging
//     histories, bad server version, bad client version, client file
//     expired) — a reset only when due, never missed; a restore brings the
//     log, files and floor back to the backup's under a new salt; terminate
//     and re-enable forgets every file, new salt, the data rebuilt as one
//     server-made changeset; compaction expires the files last seen before
//     the horizon (not bound in a session) and trims the history integrated
//     before it (the floor, checked when a session begins); compensating
//     writes follow the changeset they revert. What the server decided at
//     each harness operation is derived from the observations (derive.go),
//     with "maybe" where they cannot decide;
//   - visibility (visibility.go): "upload complete, then download complete"
//     makes a write visible, checked with porcupine per pair of clients;
//     except what a restore rolled back (derived: integrated after the
//     backup, before the restore) or a terminate forgot, or a discarding
//     reset discarded;
//   - convergence (convergence.go): after heal every live replica equals
//     the server (strong convergence), and how long that took;
//   - write accounting (accounting.go): every local write ends in exactly
//     one bucket (visible, overridden, deleted, reverted, discarded, rolled
//     back, preserved); a write in none is lost. Rules: the conflict rules
//     (discriminant order, erase wins, last writer wins, defaults lose,
//     AddInteger folding, list transforms, Clear), compensating writes,
//     the reset modes' fates of unsynced changes, a restore rolling back
//     acknowledged writes (maybe-rolled-back counts as rolled back);
//   - session guarantees (sessions.go): read-your-writes and monotonic
//     reads per client, except across a discarding reset or a restore;
//   - client-reset rules (resetrules.go): an independent reference of the
//     reset modes and recovery rules, in the plain data model of plain.go,
//     computes each reset's expected outcome and state. Rules: the modes
//     (manual, discard, recover, recoverOrDiscard and its fallback), what
//     stops an automatic reset (breaking schema, schema loss, recovery
//     disabled), the five recovery rules, the pending-reset record's
//     loop rules.
//
// The last two and write accounting share lineage.go: which changeset
// carries each write through its client's resets, what each client had
// integrated when, and which effect may have overridden which.
//
// Check (check.go) runs them all and writes porcupine's HTML view for every
// linearizability failure.
package oracle
