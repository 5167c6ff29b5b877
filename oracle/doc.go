// Package oracle judges a recorded history of a simulated run: what the
// clients observed (uploads acknowledged, downloads received, waits
// completed, resets) and what the harness did (backups, restores,
// terminations, compactions, faults).
//
// The oracles are written independently of engine/ and sim/ and import
// neither, so that a bug in the engine cannot hide in its judge; the World
// translates its observations into the plain types of history.go.
//
//   - sync-log (synclog.go): the server's history as a sequential object,
//     checked for linearizability with porcupine, one realm at a time;
//   - visibility (visibility.go): "upload complete, then download complete"
//     makes a write visible, checked with porcupine per pair of clients;
//   - convergence (convergence.go): after heal every live replica equals
//     the server, and how long that took;
//   - write accounting (accounting.go): every local write ends in exactly
//     one bucket (visible, overridden, deleted, reverted, discarded, rolled
//     back, preserved); a write in none is lost;
//   - session guarantees (sessions.go): read-your-writes and monotonic
//     reads per client, except across a discarding reset or a restore;
//   - client-reset rules (resetrules.go): an independent reference of the
//     reset modes and recovery rules, in the plain data model of plain.go,
//     computes each reset's expected outcome and state.
//
// The last two and write accounting share lineage.go: which changeset
// carries each write through its client's resets, what each client had
// integrated when, and which effect may have overridden which.
//
// Check (check.go) runs them all and writes porcupine's HTML view for every
// linearizability failure.
package oracle
