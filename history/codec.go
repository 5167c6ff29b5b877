package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Format is the "format" field of a saved history file.
const Format = "syncsim-history"

// FormatVersion is the version of the file format this build writes and
// the only one it reads. Bump it whenever a record's JSON changes in a way
// an older reader would misread (a field renamed, retyped or given a new
// meaning); a reader refuses any other version rather than guess.
const FormatVersion = 1

// MaxFileSize bounds what Decode reads: a longer input is refused, not
// loaded.
const MaxFileSize = 1 << 30

// Meta is what a saved history says about the run that recorded it: enough
// to find the run again (scenario, seed, mutants, trace hash, build) and
// the harness's parameters a judge may need.
type Meta struct {
	Scenario  string   `json:"scenario,omitempty"`
	Seed      uint64   `json:"seed"`
	Mutants   []string `json:"mutants,omitempty"`
	TraceHash string   `json:"traceHash,omitempty"` // the run's trace hash
	Build     string   `json:"build,omitempty"`     // the build that ran it (e.g. its VCS revision)
	// Params holds the harness parameters a judge may need, by name (e.g.
	// "maxOffline": "30s"), rendered as strings.
	Params map[string]string `json:"params,omitempty"`
}

// File is a saved history as it is laid out in JSON: one object with the
// format and its version first, then the run's Meta and the History.
type File struct {
	Format  string   `json:"format"`
	Version int      `json:"version"`
	Meta    Meta     `json:"meta"`
	History *History `json:"history"`
}

// Encode writes h and meta to w as one JSON object (a File), indented,
// ending with a newline. It does not validate h: a malformed history is
// saved as it is (it is evidence), but Decode refuses it.
func Encode(w io.Writer, h *History, meta Meta) error {
	if err := encode(w, h, meta); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

func encode(w io.Writer, h *History, meta Meta) error {
	if h == nil {
		return errors.New("encode: no history (nil)")
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(File{Format: Format, Version: FormatVersion, Meta: meta, History: h}); err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return nil
}

// Decode reads one saved history from r and validates it. It refuses, with
// an error that says what is wrong and where: an input longer than
// MaxFileSize, malformed JSON (with its line and column), anything after
// the object, another format, another version, a field this version does
// not know, and a history Validate rejects.
func Decode(r io.Reader) (*History, Meta, error) {
	h, meta, err := decode(r, MaxFileSize)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("history: %w", err)
	}
	return h, meta, nil
}

func decode(r io.Reader, limit int64) (*History, Meta, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, Meta{}, fmt.Errorf("reading: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, Meta{}, fmt.Errorf("the input is longer than %d bytes (%s), the most a history file may hold", limit, sizeString(limit))
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, Meta{}, errors.New("the input is empty")
	}
	// First the format and version alone, leniently: a file of another
	// version is refused for its version, not for the fields it has.
	var head struct {
		Format  *string `json:"format"`
		Version *int    `json:"version"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, Meta{}, jsonError(b, err)
	}
	switch {
	case head.Format == nil:
		return nil, Meta{}, fmt.Errorf("not a history file: no %q field (want %q)", "format", Format)
	case *head.Format != Format:
		return nil, Meta{}, fmt.Errorf("format %q: not a history file (want %q)", *head.Format, Format)
	case head.Version == nil:
		return nil, Meta{}, fmt.Errorf("no %q field", "version")
	case *head.Version != FormatVersion:
		return nil, Meta{}, fmt.Errorf("file version %d: this build reads version %d", *head.Version, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, Meta{}, jsonError(b, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		// json.Unmarshal above already refuses trailing data; kept as a
		// guard should the two ever disagree.
		return nil, Meta{}, fmt.Errorf("%s: data after the history object", position(b, dec.InputOffset()))
	}
	if f.History == nil {
		return nil, Meta{}, fmt.Errorf("no %q field (or null)", "history")
	}
	if err := f.History.Validate(); err != nil {
		return nil, Meta{}, err
	}
	return f.History, f.Meta, nil
}

// jsonError says what encoding/json found wrong with b, and where.
func jsonError(b []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		msg = strings.Replace(msg, "unexpected end of JSON input", "unexpected end of input", 1)
		return fmt.Errorf("%s: %s", position(b, syn.Offset), msg)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Errorf("%s: the file is a JSON %s, not an object", position(b, typ.Offset), typ.Value)
		}
		return fmt.Errorf("%s: %s", position(b, typ.Offset), msg)
	case errors.Is(err, io.EOF):
		return errors.New("the input is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%s: unexpected end of input", position(b, int64(len(b))))
	}
	return errors.New(msg)
}

// position renders byte offset off of b as a line and column (both from 1;
// the column counts bytes).
func position(b []byte, off int64) string {
	off = min(max(off, 0), int64(len(b)))
	before := b[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int64(len(before) - bytes.LastIndexByte(before, '\n') - 1)
	return fmt.Sprintf("line %d column %d", line, max(col, 1))
}

func sizeString(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d B", n)
}

// WriteFile saves h and meta to path atomically: it writes a temporary
// file in the same directory, syncs it and renames it over path (mode
// 0644), so path holds either the old file or the whole new one.
func WriteFile(path string, h *History, meta Meta) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("history: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = fmt.Errorf("history: write %s: %w", path, err)
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<16)
	if err := encode(bw, h, meta); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	// Make the rename durable too; a directory that cannot be synced (some
	// platforms) leaves the file written all the same.
	if dir, derr := os.Open(filepath.Dir(path)); derr == nil {
		_ = dir.Sync()
		dir.Close()
	}
	return nil
}

// ReadFile loads a history saved by WriteFile (see Decode for what it
// refuses); the error names the file.
func ReadFile(path string) (*History, Meta, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	h, meta, err := decode(bufio.NewReaderSize(f, 1<<16), MaxFileSize)
	if err != nil {
		return nil, Meta{}, fmt.Errorf("history: %s: %w", path, err)
	}
	return h, meta, nil
}
