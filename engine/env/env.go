// Package env holds the engine's seams to the outside world: the clock it
// reads time from and sets timers on, the transport it talks over and the
// storage it persists to. The engine depends only on these interfaces, so the
// same code runs on the simulator (package sim implements them) or, later, on
// a real clock, sockets and files.
//
// Everything here is single-threaded by contract: callbacks (timer functions,
// connection events) are invoked by whoever drives the environment, one at a
// time, never concurrently with other engine code.
package env

import (
	"errors"
	"time"
)

// Time is a point in time as nanoseconds since an arbitrary epoch.
type Time int64

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Sub returns t-u as a duration.
func (t Time) Sub(u Time) time.Duration { return time.Duration(t - u) }

// Clock is a node's view of time.
//
// Now is the node's local wall clock: it may be offset from other nodes',
// drift, or even step backwards. Timers measure elapsed durations and are
// not affected by steps of the local wall clock.
type Clock interface {
	Now() Time
	AfterFunc(d time.Duration, fn func()) Timer
}

// Timer is a pending call scheduled with Clock.AfterFunc.
type Timer interface {
	// Stop cancels the timer. It reports whether the call was still pending.
	Stop() bool
}

// Conn is one side of an established, message-oriented, in-order connection
// (a websocket in the real system). Messages sent on it arrive at the peer
// in the order sent, or the connection breaks.
type Conn interface {
	// Send queues msg for delivery. The connection takes ownership of msg.
	// It returns ErrClosed once the connection is closed or broken.
	Send(msg []byte) error
	// Close closes the connection; the peer's handler sees OnClose.
	// The local handler does not get OnClose for a Close it called itself.
	Close()
	// LocalAddr and RemoteAddr name the two endpoints.
	LocalAddr() string
	RemoteAddr() string
}

// Handler receives the events of one connection.
type Handler interface {
	// OnOpen is called once when a dialled connection is established.
	OnOpen(c Conn)
	// OnMessage delivers one message, in order.
	OnMessage(c Conn, msg []byte)
	// OnClose is called once when the connection breaks or the peer closes
	// it, or when a dial fails; err says why.
	OnClose(c Conn, err error)
}

// Transport opens and accepts connections for one node.
type Transport interface {
	// Dial starts connecting to addr. The outcome arrives through h:
	// OnOpen then messages, or OnClose with the reason.
	Dial(addr string, h Handler) Conn
	// Listen accepts connections on addr; accept is called for each new
	// incoming connection and returns the handler for it. The incoming
	// connection is open when accept is called.
	Listen(addr string, accept func(c Conn) Handler) error
}

// Errors a Transport reports.
var (
	ErrClosed  = errors.New("connection closed")
	ErrRefused = errors.New("connection refused")
	ErrBroken  = errors.New("connection broken")
)

// Storage is a node's durable storage: a flat namespace of files.
//
// Data written to a file becomes durable at Sync. Create, Remove and Rename
// are durable when they return, and Rename replaces its target atomically, so
// "write a temporary file, Sync, Rename" is an atomic replace.
type Storage interface {
	// Open opens the named file, creating it empty if it does not exist.
	Open(name string) (File, error)
	// Remove deletes the named file; removing a missing file is not an error.
	Remove(name string) error
	// Rename atomically replaces newName with oldName's file.
	Rename(oldName, newName string) error
	// List returns the names of the files whose names start with prefix, sorted.
	List(prefix string) ([]string, error)
}

// File is an open file of a Storage.
type File interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	Size() int64
	Truncate(size int64) error
	// Sync makes every write so far durable.
	Sync() error
	Close() error
}
