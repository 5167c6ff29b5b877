package trace

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Event is one decoded event line.
type Event struct {
	T     int64                      `json:"t"`
	Node  string                     `json:"n"`
	Kind  string                     `json:"k"`
	Attrs map[string]json.RawMessage `json:"a,omitempty"`
	// Line is the event's line exactly as stored, without the newline.
	Line []byte `json:"-"`
}

// File is a decoded trace.
type File struct {
	Header Header
	Events []Event
	// Footer is nil when the trace was cut short (the run crashed or was
	// interrupted before it finished).
	Footer *Footer
	// Hash is recomputed from the event lines as read.
	Hash string
}

// ErrFormat marks a trace this build cannot read.
var ErrFormat = errors.New("not a readable trace")

// MaxLine is the longest line Read accepts.
const MaxLine = 1 << 20

// Read decodes a trace and checks it: the header's format version, every
// line's syntax, and, when a footer is present, its event count and hash.
func Read(r io.Reader) (*File, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLine)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%w: reading header: %v", ErrFormat, err)
		}
		return nil, fmt.Errorf("%w: empty file", ErrFormat)
	}
	f := &File{}
	dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f.Header); err != nil {
		return nil, fmt.Errorf("%w: line 1: bad header: %v", ErrFormat, err)
	}
	if f.Header.Format != FormatVersion {
		return nil, fmt.Errorf("%w: format version %d, this build reads version %d", ErrFormat, f.Header.Format, FormatVersion)
	}
	h := sha256.New()
	line := 1
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if f.Footer != nil {
			return nil, fmt.Errorf("%w: line %d: data after the footer", ErrFormat, line)
		}
		if bytes.HasPrefix(b, []byte(`{"end":`)) {
			var ft Footer
			if err := json.Unmarshal(b, &ft); err != nil || !ft.End {
				return nil, fmt.Errorf("%w: line %d: bad footer", ErrFormat, line)
			}
			f.Footer = &ft
			continue
		}
		var ev Event
		if err := json.Unmarshal(b, &ev); err != nil {
			return nil, fmt.Errorf("%w: line %d: bad event: %v", ErrFormat, line, err)
		}
		ev.Line = append([]byte(nil), b...)
		h.Write(b)
		h.Write([]byte{'\n'})
		f.Events = append(f.Events, ev)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: line %d: %v", ErrFormat, line+1, err)
	}
	f.Hash = hex.EncodeToString(h.Sum(nil))
	if f.Footer != nil {
		if f.Footer.Events != uint64(len(f.Events)) {
			return nil, fmt.Errorf("%w: footer counts %d events, file has %d", ErrFormat, f.Footer.Events, len(f.Events))
		}
		if f.Footer.Hash != f.Hash {
			return nil, fmt.Errorf("%w: footer hash %s does not match the events (%s): the file was changed", ErrFormat, f.Footer.Hash, f.Hash)
		}
	}
	return f, nil
}
