// Package fuzz holds the project's Go fuzz targets, which cut across
// packages: the changeset, protocol, trace and saved-history decoders must
// reject any input with an error rather than panic, and whatever they
// accept must encode back to the same bytes (a history: to an equal
// history) and decode to the same value.
//
// The seed corpora (f.Add and testdata/fuzz) run as ordinary tests under
// `go test ./fuzz`; fuzz with e.g. `go test -fuzz=FuzzChangesetDecode ./fuzz`.
package fuzz
