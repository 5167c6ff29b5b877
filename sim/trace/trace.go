// Package trace records what a simulated world did, as JSON Lines with a
// versioned header, and computes the run's hash: the determinism witness.
//
// A trace file is: one header line, one line per event in the order the
// events happened, and one footer line with the event count and the hash.
// The hash is the SHA-256 of the event lines exactly as written (each with
// its trailing newline); the header and footer are not hashed, so the same
// run gives the same hash whether or not the lines are written anywhere.
//
// Event attributes are slog attributes, written in the order given, so a
// caller that passes them in a fixed order gets a canonical encoding.
package trace

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// FormatVersion is the version of the trace file format this build writes
// and the only one it reads.
const FormatVersion = 1

// Header is the first line of a trace: everything needed to run it again.
type Header struct {
	Format   int             `json:"format"`
	Seed     uint64          `json:"seed"`
	Build    string          `json:"build,omitempty"`
	Scenario string          `json:"scenario,omitempty"`
	Flags    []string        `json:"flags,omitempty"`
	Config   json.RawMessage `json:"config,omitempty"`
}

// Footer is the last line of a complete trace.
type Footer struct {
	End    bool   `json:"end"`
	Events uint64 `json:"events"`
	Hash   string `json:"hash"`
}

// Recorder hashes events and, if given a writer, writes them as JSON Lines.
// The zero value is not usable; call NewRecorder.
type Recorder struct {
	h      hash.Hash
	w      *bufio.Writer
	buf    []byte
	n      uint64
	err    error
	mirror slog.Handler
}

// NewRecorder returns a recorder that writes to w (which may be nil: hash
// only). If w is not nil the header is written at once.
func NewRecorder(w io.Writer, hdr Header) (*Recorder, error) {
	r := &Recorder{h: sha256.New(), buf: make([]byte, 0, 256)}
	if w != nil {
		r.w = bufio.NewWriterSize(w, 64<<10)
		hdr.Format = FormatVersion
		b, err := json.Marshal(hdr)
		if err != nil {
			return nil, fmt.Errorf("trace: encoding header: %w", err)
		}
		r.w.Write(append(b, '\n'))
	}
	return r, nil
}

// Mirror sends every event also to h as an slog record at debug level,
// with the virtual time as the "t" attribute (for human-readable logs).
func (r *Recorder) Mirror(h slog.Handler) { r.mirror = h }

// Record appends one event: virtual time t (nanoseconds), the node it
// happened on ("" for the world itself), its kind, and its attributes.
func (r *Recorder) Record(t int64, node, kind string, attrs ...slog.Attr) {
	b := r.buf[:0]
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, t, 10)
	b = append(b, `,"n":`...)
	b = appendString(b, node)
	b = append(b, `,"k":`...)
	b = appendString(b, kind)
	if len(attrs) > 0 {
		b = append(b, `,"a":{`...)
		b = appendAttrs(b, attrs)
		b = append(b, '}')
	}
	b = append(b, '}', '\n')
	r.h.Write(b)
	if r.w != nil && r.err == nil {
		_, r.err = r.w.Write(b)
	}
	r.buf = b
	r.n++
	if r.mirror != nil {
		rec := slog.NewRecord(time.Time{}, slog.LevelDebug, kind, 0)
		rec.AddAttrs(slog.Int64("t", t), slog.String("node", node))
		rec.AddAttrs(attrs...)
		_ = r.mirror.Handle(context.Background(), rec)
	}
}

// Events is the number of events recorded.
func (r *Recorder) Events() uint64 { return r.n }

// Hash is the hex SHA-256 of the events so far.
func (r *Recorder) Hash() string { return hex.EncodeToString(r.h.Sum(nil)) }

// Close writes the footer and flushes. It returns the first write error.
func (r *Recorder) Close() error {
	if r.w == nil {
		return nil
	}
	if r.err != nil {
		return fmt.Errorf("trace: writing events: %w", r.err)
	}
	b, _ := json.Marshal(Footer{End: true, Events: r.n, Hash: r.Hash()})
	r.w.Write(append(b, '\n'))
	if err := r.w.Flush(); err != nil {
		return fmt.Errorf("trace: flushing: %w", err)
	}
	return nil
}

func appendAttrs(b []byte, attrs []slog.Attr) []byte {
	for i, a := range attrs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, a.Key)
		b = append(b, ':')
		b = appendValue(b, a.Value)
	}
	return b
}

func appendValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindDuration:
		return strconv.AppendInt(b, int64(v.Duration()), 10)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindString:
		return appendString(b, v.String())
	case slog.KindFloat64:
		f := v.Float64()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return appendString(b, strconv.FormatFloat(f, 'g', -1, 64))
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case slog.KindGroup:
		b = append(b, '{')
		b = appendAttrs(b, v.Group())
		return append(b, '}')
	case slog.KindTime:
		return strconv.AppendInt(b, v.Time().UnixNano(), 10)
	default:
		j, err := json.Marshal(v.Any())
		if err != nil {
			return appendString(b, fmt.Sprint(v.Any()))
		}
		return append(b, j...)
	}
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
