package journal

import (
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/syncsim/syncsim/engine/env"
)

// memStorage is an in-memory env.Storage for tests: every write is durable
// at once, and fail, if set, may fail any call before it does anything.
type memStorage struct {
	files map[string]*memData
	// fail is asked before each call, with the operation ("open",
	// "remove", "rename", "read", "write", "truncate", "sync", "close")
	// and the file name; a non-nil answer is returned as the call's error.
	fail func(op, name string) error
}

type memData struct{ b []byte }

// resize sets the length of d.b to n, zero-extending it, with room to grow
// by doubling.
func (d *memData) resize(n int64) {
	old := int64(len(d.b))
	if n > int64(cap(d.b)) {
		d.b = slices.Grow(d.b, int(max(n, 2*old)-old))
	}
	d.b = d.b[:n]
	if n > old {
		clear(d.b[old:])
	}
}

type memFile struct {
	st     *memStorage
	name   string
	d      *memData
	closed bool
}

var _ env.Storage = (*memStorage)(nil)

func newMem() *memStorage { return &memStorage{files: map[string]*memData{}} }

func (s *memStorage) check(op, name string) error {
	if s.fail != nil {
		return s.fail(op, name)
	}
	return nil
}

func (s *memStorage) Open(name string) (env.File, error) {
	if err := s.check("open", name); err != nil {
		return nil, err
	}
	d := s.files[name]
	if d == nil {
		d = &memData{}
		s.files[name] = d
	}
	return &memFile{st: s, name: name, d: d}, nil
}

func (s *memStorage) Remove(name string) error {
	if err := s.check("remove", name); err != nil {
		return err
	}
	delete(s.files, name)
	return nil
}

func (s *memStorage) Rename(oldName, newName string) error {
	if err := s.check("rename", oldName); err != nil {
		return err
	}
	d := s.files[oldName]
	if d == nil {
		return fmt.Errorf("rename %q: %w", oldName, fs.ErrNotExist)
	}
	delete(s.files, oldName)
	s.files[newName] = d
	return nil
}

func (s *memStorage) List(prefix string) ([]string, error) {
	var names []string
	for name := range s.files {
		if strings.HasPrefix(name, prefix) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// content returns a copy of the named file's bytes, nil if it is missing.
func (s *memStorage) content(name string) []byte {
	if d := s.files[name]; d != nil {
		return slices.Clone(d.b)
	}
	return nil
}

// put sets the named file's bytes.
func (s *memStorage) put(name string, b []byte) { s.files[name] = &memData{b: slices.Clone(b)} }

func (f *memFile) use(op string) error {
	if f.closed {
		return fmt.Errorf("%s %q: %w", op, f.name, fs.ErrClosed)
	}
	return f.st.check(op, f.name)
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.use("read"); err != nil {
		return 0, err
	}
	if off >= int64(len(f.d.b)) {
		return 0, io.EOF
	}
	n := copy(p, f.d.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.use("write"); err != nil {
		return 0, err
	}
	if end := off + int64(len(p)); end > int64(len(f.d.b)) {
		f.d.resize(end)
	}
	return copy(f.d.b[off:], p), nil
}

func (f *memFile) Size() int64 { return int64(len(f.d.b)) }

func (f *memFile) Truncate(size int64) error {
	if err := f.use("truncate"); err != nil {
		return err
	}
	f.d.resize(size)
	return nil
}

func (f *memFile) Sync() error { return f.use("sync") }

func (f *memFile) Close() error {
	if err := f.use("close"); err != nil {
		return err
	}
	f.closed = true
	return nil
}
