package client

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/wire"
)

// The app metadata file: the users (with their tokens), the current user
// and the realm files opened with their client file idents. It is
// replaced atomically on every change (write a temporary file, sync,
// rename).
//
//	file      := 'P' body | 'E' nonce(12) sealed(body)     plain or AES-GCM
//	body      := magic version uvarint(saves) string(current)
//	             uvarint(#users) user* uvarint(#files) file*
//	user      := string(id) string(provider) string(token) bool(loggedIn)
//	file      := string(user) string(path) string(name) uvarint(ident)
//	             string(backup)                                version 2
//
// A file's backup, if not empty, is the pending file action of a manual
// client reset: at the next open the replica moves to that path and the
// realm starts afresh (see App.RunFileActions). Version 1 files (without
// it) still load.
//
// The GCM nonce is 4 bytes from the host's random source and the 8-byte
// count of saves, which the (sealed) body carries from save to save: no
// nonce repeats under a key, and no crypto/rand is needed.
const (
	metaMagic   byte = 'M'
	metaVersion byte = 2
	metaPlain   byte = 'P'
	metaSealed  byte = 'E'
	nonceSize        = 12
)

// metaAAD binds a sealed body to its purpose.
var metaAAD = []byte("syncsim app metadata")

// userRecord is a user as the metadata keeps it.
type userRecord struct {
	id, provider, token string
	loggedIn            bool
}

// fileRecord is a realm file opened for a user; backup, if set, is the
// path the replica moves to at the next open (a manual reset's file
// action).
type fileRecord struct {
	user, path, name string
	ident            uint64
	backup           string
}

// metadata is the app's persisted metadata.
type metadata struct {
	st    env.Storage
	name  string
	aead  cipher.AEAD // nil: not encrypted
	rand  Rand
	saves uint64

	current string
	users   []userRecord
	files   []fileRecord
}

// loadMetadata opens the metadata file name, empty if it does not exist.
// key, if not empty, is an AES key (16, 24 or 32 bytes).
func loadMetadata(st env.Storage, name string, key []byte, rand Rand) (*metadata, error) {
	m := &metadata{st: st, name: name, rand: rand}
	if len(key) > 0 {
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("metadata encryption key: %w", err)
		}
		if m.aead, err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("metadata encryption key: %w", err)
		}
	}
	b, err := readFile(st, name)
	if err != nil {
		return nil, fmt.Errorf("metadata %q: %w", name, err)
	}
	if len(b) == 0 {
		return m, nil
	}
	body, err := m.open(b)
	if err != nil {
		return nil, fmt.Errorf("metadata %q: %w", name, err)
	}
	if err := m.decode(body); err != nil {
		return nil, fmt.Errorf("metadata %q: %w", name, err)
	}
	return m, nil
}

// open returns the body of the file content b.
func (m *metadata) open(b []byte) ([]byte, error) {
	switch {
	case b[0] == metaPlain && m.aead == nil:
		return b[1:], nil
	case b[0] == metaPlain:
		return nil, fmt.Errorf("%w: the metadata is not encrypted, but a key was given", ErrWrongKey)
	case b[0] == metaSealed && m.aead == nil:
		return nil, fmt.Errorf("%w: the metadata is encrypted, but no key was given", ErrWrongKey)
	case b[0] == metaSealed:
		if len(b) < 1+nonceSize {
			return nil, errors.New("truncated encrypted metadata")
		}
		body, err := m.aead.Open(nil, b[1:1+nonceSize], b[1+nonceSize:], metaAAD)
		if err != nil {
			return nil, fmt.Errorf("%w: decryption failed (or the file is damaged)", ErrWrongKey)
		}
		return body, nil
	}
	return nil, fmt.Errorf("unknown metadata format %q", b[0])
}

func (m *metadata) decode(body []byte) error {
	d := wire.NewDecoder(body)
	version := metaVersion
	if len(body) >= 2 && body[1] == 1 {
		version = 1 // before file actions
	}
	d.Header("metadata", metaMagic, version)
	m.saves = d.Uvarint("saves")
	m.current = d.String("current user")
	n := d.Count("users", 4)
	m.users = make([]userRecord, 0, n)
	for range n {
		m.users = append(m.users, userRecord{id: d.String("user id"), provider: d.String("provider"),
			token: d.String("token"), loggedIn: d.Bool("logged in")})
	}
	n = d.Count("files", 4)
	m.files = make([]fileRecord, 0, n)
	for range n {
		f := fileRecord{user: d.String("file user"), path: d.String("file path"),
			name: d.String("file name"), ident: d.Uvarint("file ident")}
		if version >= 2 {
			f.backup = d.String("file backup")
		}
		m.files = append(m.files, f)
	}
	d.End("metadata")
	return d.Err()
}

func (m *metadata) encode() []byte {
	b := wire.AppendHeader(nil, metaMagic, metaVersion)
	b = wire.AppendUvarint(b, m.saves)
	b = wire.AppendString(b, m.current)
	b = wire.AppendUvarint(b, uint64(len(m.users)))
	for _, u := range m.users {
		b = wire.AppendString(b, u.id)
		b = wire.AppendString(b, u.provider)
		b = wire.AppendString(b, u.token)
		b = wire.AppendBool(b, u.loggedIn)
	}
	b = wire.AppendUvarint(b, uint64(len(m.files)))
	for _, f := range m.files {
		b = wire.AppendString(b, f.user)
		b = wire.AppendString(b, f.path)
		b = wire.AppendString(b, f.name)
		b = wire.AppendUvarint(b, f.ident)
		b = wire.AppendString(b, f.backup)
	}
	return b
}

// save writes the metadata durably and atomically.
func (m *metadata) save() error {
	m.saves++
	body := m.encode()
	var content []byte
	if m.aead == nil {
		content = append([]byte{metaPlain}, body...)
	} else {
		nonce := binary.BigEndian.AppendUint32(nil, uint32(m.rand.Uint64N(1<<32)))
		nonce = binary.BigEndian.AppendUint64(nonce, m.saves)
		content = append([]byte{metaSealed}, nonce...)
		content = m.aead.Seal(content, nonce, body, metaAAD)
	}
	if err := writeFile(m.st, m.name, content); err != nil {
		return fmt.Errorf("metadata %q: %w", m.name, err)
	}
	return nil
}

// user returns the record of user id, or nil.
func (m *metadata) user(id string) *userRecord {
	for i := range m.users {
		if m.users[i].id == id {
			return &m.users[i]
		}
	}
	return nil
}

// file returns the record of the realm file name, or nil.
func (m *metadata) file(name string) *fileRecord {
	for i := range m.files {
		if m.files[i].name == name {
			return &m.files[i]
		}
	}
	return nil
}

// readFile returns the whole content of the file name (empty if missing).
func readFile(st env.Storage, name string) ([]byte, error) {
	f, err := st.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, f.Size())
	n, err := f.ReadAt(b, 0)
	if n == len(b) && (err == nil || errors.Is(err, io.EOF)) {
		return b, nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return nil, fmt.Errorf("reading %d bytes: %w", len(b), err)
}

// writeFile atomically replaces the file name with content: a temporary
// file written and synced, then renamed over it.
func writeFile(st env.Storage, name string, content []byte) error {
	tmp := name + ".tmp"
	if err := st.Remove(tmp); err != nil {
		return err
	}
	f, err := st.Open(tmp)
	if err != nil {
		return err
	}
	n, err := f.WriteAt(content, 0)
	if err == nil && n < len(content) {
		err = io.ErrShortWrite
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %d bytes to %q: %w", len(content), tmp, err)
	}
	return st.Rename(tmp, name)
}
