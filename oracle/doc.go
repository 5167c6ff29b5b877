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
//     the server, and how long that took.
//
// Check (check.go) runs them all and writes porcupine's HTML view for every
// linearizability failure.
package oracle
