// Package history holds what a simulated run observed, in plain terms: the
// uploads, downloads and file idents the wire showed, the local writes,
// reads and waits of the clients, their client resets, the harness's own
// operations (backups, restores, terminates, compactions) and faults, and
// the final states. The World's recorder (sim/observe) writes a History;
// the oracles (oracle/) and the reports (reports/) read it.
//
// The types say nothing of how a run is judged: they carry what was seen,
// with the virtual call and return time of every operation. Validate
// reports a history the recorder must never emit; Encode and Decode save
// and load it as versioned JSON, so that a failing run's history can be
// judged again later without running its world.
//
// The package imports nothing else of the module.
package history
