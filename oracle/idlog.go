package oracle

import

// idLog is an immutable log of changeset ids in server order (server
// version v is at index v-1): a view of the first n entries of a buffer that
// views share. Porcupine keeps every state it visits, so copying the log on
// every step would cost O(length) each; instead a view appends in place
// when nobody has appended past it yet and copies only when another branch
// of the search already has. Entries below a view's length never change.
"github.com/syncsim/syncsim/history"

type idLog struct {
	buf *logBuf
	n   int
}

type logBuf struct {
	ids    []history.ChangesetID
	hashes []uint64 // hashes[i]: the hash of ids[:i+1]
}

func (l idLog) len() uint64 { return uint64(l.n) }

// at is the id at server version v (1 <= v <= len).
func (l idLog) at(v uint64) history.ChangesetID { return l.buf.ids[v-1] }

// hash is a hash of the whole view, O(1).
func (l idLog) hash() uint64 {
	if l.n == 0 {
		return 0
	}
	return l.buf.hashes[l.n-1]
}

// truncate is the first n entries (n <= len).
func (l idLog) truncate(n uint64) idLog { return idLog{buf: l.buf, n: int(n)} }

// append is l followed by ids.
func (l idLog) append(ids ...history.ChangesetID) idLog {
	if len(ids) == 0 {
		return l
	}
	if l.buf == nil || len(l.buf.ids) != l.n {
		// Another view already appended past n (or there is no buffer): copy.
		nb := &logBuf{
			ids:    make([]history.ChangesetID, l.n, 2*l.n+len(ids)),
			hashes: make([]uint64, l.n, 2*l.n+len(ids)),
		}
		if l.n > 0 {
			copy(nb.ids, l.buf.ids[:l.n])
			copy(nb.hashes, l.buf.hashes[:l.n])
		}
		l.buf = nb
	}
	h := l.hash()
	for _, id := range ids {
		h = mix64(h ^ mix64(id.File*0x9e3779b97f4a7c15^id.Version))
		l.buf.ids = append(l.buf.ids, id)
		l.buf.hashes = append(l.buf.hashes, h)
	}
	return idLog{buf: l.buf, n: l.n + len(ids)}
}

func (l idLog) equal(m idLog) bool {
	if l.n != m.n || l.hash() != m.hash() {
		return false
	}
	if l.n == 0 || l.buf == m.buf {
		return true
	}
	for i := range l.n {
		if l.buf.ids[i] != m.buf.ids[i] {
			return false
		}
	}
	return true
}

// lastOf is the last client version of file among the first n entries (0 if
// none).
func (l idLog) lastOf(file uint64, n uint64) uint64 {
	for v := n; v > 0; v-- {
		if id := l.at(v); id.File == file {
			return id.Version
		}
	}
	return 0
}

// mix64 scrambles x (splitmix64's finaliser).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
