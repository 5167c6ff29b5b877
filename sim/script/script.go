// Package script is the scenario language: a versioned, line-oriented
// text a user can read and write without knowing Go. A file has a header
// (format version, story, clients, realms, schema, reset modes, world
// options) and then timed steps — workload actions, faults, server
// operations, random workload and fault blocks, and expect lines that
// assert a replica's or the server's state. See docs/scenarios.md.
//
// Parse reads a file into a Scenario (an error names the file, the line
// and the field, on one line); Format writes the canonical text back
// (Parse(Format(s)) equals s but for line numbers); Config and Install
// make and drive a World through the scripted harness of sim/simtest.
package script

import (
	"errors"
	"time"

	"github.com/syncsim/syncsim/engine/changeset"
)

// Version is the format version this package reads and writes.
const Version = 1

// Bounds: no input makes Parse, or a run it accepts, unbounded.
const (
	MaxClients  = 100
	MaxSteps    = 10_000
	MaxOps      = 100 // operations in one write
	MaxDuration = 30 * 24 * time.Hour
	MaxLine     = 16 << 10  // bytes in one line
	MaxIndex    = 1_000_000 // a list index, a backup number
	MaxRate     = 1000.0    // faults per minute of one kind
	MaxBlockRun = 1_000_000 // writes one random block may make
)

// All stands for every client (`client *`, `reset: * mode`).
const All = -1

// ErrExpect marks a World failure: an expect line that did not hold.
var ErrExpect = errors.New("script: expect")

// ErrUnsupported marks a step the engine or the world cannot run yet; it
// parses, and fails the run when it comes due.
var ErrUnsupported = errors.New("not supported by the engine yet")

// Scenario is a parsed scenario file.
type Scenario struct {
	// Name is the file name errors and failures name; not part of the
	// text.
	Name    string
	Story   []string
	Clients int
	Realms  []string
	Schema  string
	Resets  []Reset
	// Deadline is when the run ends; Heal when faults stop and the
	// replicas must converge (0: half the deadline).
	Deadline, Heal time.Duration
	// Seed is the default seed (simrun's when none is given).
	Seed    uint64
	Network Network
	// Skew bounds each client's initial clock offset; TTL is the server's
	// client maximum offline time (0: the workload's).
	Skew, TTL time.Duration
	Steps     []Step
}

// Reset is a reset mode for a client (All: every client not named).
type Reset struct {
	Client int
	Mode   string // manual, discard, recover, recoverOrDiscard
}

// Network is the world's network (zero values: the defaults).
type Network struct {
	Drops, Duplicates float64
	// Latency is the one-way latency range; zero: the default.
	Latency [2]time.Duration
}

// Kind is a step's kind: the words that name it in a file.
type Kind string

// The step kinds.
const (
	Write        Kind = "write"
	Read         Kind = "read"
	WaitUpload   Kind = "wait upload"
	WaitDownload Kind = "wait download"
	Pause        Kind = "pause"
	Resume       Kind = "resume"
	Offline      Kind = "offline"
	Online       Kind = "online"
	Crash        Kind = "crash"
	Restart      Kind = "restart"
	ClockStep    Kind = "clock step"
	ClockDrift   Kind = "clock drift"
	Partition    Kind = "partition"
	OneWay       Kind = "partition oneway"
	HealClient   Kind = "heal"
	Clog         Kind = "clog"
	Role         Kind = "role"
	BaseURL      Kind = "base-url"

	ServerCrash    Kind = "server crash"
	ServerRestart  Kind = "server restart"
	Backup         Kind = "server backup"
	Restore        Kind = "server restore"
	Terminate      Kind = "server terminate"
	Enable         Kind = "server enable"
	Compact        Kind = "server compact"
	Recovery       Kind = "server recovery"
	SchemaAdd      Kind = "server schema add"
	SchemaBreaking Kind = "server schema breaking"

	NetRate Kind = "network"      // Arg: drops, duplicates, refuse; Num: the rate
	NetHeal Kind = "network heal" // every network fault undone

	RandomWrites Kind = "write random" // a block: from At to Until, every Dur
	Faults       Kind = "faults"       // a block: rates per minute

	Expect          Kind = "expect"           // Checks on Object, of a client or the server
	ExpectAbsent    Kind = "expect absent"    // Object absent
	ExpectConverged Kind = "expect converged" // at the end
)

// Step is one line after the header.
type Step struct {
	Line int // in the file; not part of the text
	Kind Kind
	// At is when the step runs (a block: when it begins); End, for an
	// expect without `at`, means at the end of the run.
	At    time.Duration
	End   bool
	Until time.Duration // a block's end
	// Client is the client's index (All: every one, in blocks); Server,
	// for expects, means the server's state.
	Client int
	Server bool
	Object Object
	Ops    []Op    // a write's operations, in order
	Field  string  // read: the field
	Checks []Check // expect: field values
	Dur    time.Duration
	Int    int64   // clock drift ppm, restore's backup (0: latest)
	Num    float64 // network rate
	Arg    string  // role, oneway direction, on/off, base url, network kind, schema change
	Rates  []Rate  // faults block, in the order given
}

// Object names an object: its class and primary key.
type Object struct {
	Class string
	PK    changeset.PK
}

// OpKind is a write operation's kind.
type OpKind string

// The write operations.
const (
	OpCreate  OpKind = "create"  // write create Task 7
	OpErase   OpKind = "erase"   // write erase Task 7
	OpSet     OpKind = "="       // title="x"
	OpAdd     OpKind = "+="      // done+=3
	OpDefault OpKind = "default" // default title="x"
	OpInsert  OpKind = "insert"  // tags.insert 0 "a"
	OpListSet OpKind = "set"     // tags.set 1 "b"
	OpMove    OpKind = "move"    // tags.move 0 2
	OpRemove  OpKind = "erase@"  // tags.erase 0
	OpClear   OpKind = "clear"   // tags.clear
)

// Op is one operation of a write.
type Op struct {
	Kind  OpKind
	Field string
	Value changeset.Value
	N, M  int64 // delta (+=), index (insert/set/erase), from/to (move)
}

// Check is one field an expect asserts.
type Check struct {
	Field string
	Value changeset.Value
}

// Rate is one fault kind's rate in a faults block, per minute.
type Rate struct {
	Kind string
	Rate float64
}

// resetModes are the reset modes' names.
var resetModes = []string{"manual", "discard", "recover", "recoverOrDiscard"}
