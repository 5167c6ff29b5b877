package server

import (
	"fmt"
	"slices"

	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/mutant"
)

// compaction is the outcome of compacting a realm's history at a time:
// the new floor, the files seen then (bound in a session) and the files
// that expired.
type compaction struct {
	at            env.Time
	floor         uint64
	seen, expired []uint64
}

// Compact compacts the realm's history with Options.HistoryTTL, the
// client maximum offline time (with none it does nothing). A client file
// not seen (CLIENT_IDENT, UPLOAD, or a session bound now) for longer than
// the TTL expires: its next CLIENT_IDENT gets ClientFileExpired. The
// history older than the TTL is trimmed: a download cursor or an upload
// base in (0, floor), where floor is the last trimmed version, gets
// BadServerVersion. The trimmed entries stay in memory, so a new file
// (cursor 0) still downloads the whole history and its first changesets
// (based on version 0) still integrate.
func (s *Server) Compact(path string) error {
	ttl := s.opts.HistoryTTL
	if ttl == 0 {
		return nil
	}
	r, err := s.realm(path)
	if err != nil {
		return err
	}
	now := s.clk.Now()
	live := map[uint64]bool{}
	for _, ss := range r.sessions {
		if ss.file != nil {
			live[ss.file.ident] = true
		}
		if ss.identFile != nil {
			live[ss.identFile.ident] = true
		}
	}
	c := compaction{at: now, floor: r.floor}
	for _, id := range sortedKeys(r.files) {
		f := r.files[id]
		switch {
		case f.expired:
		case live[id]:
			c.seen = append(c.seen, id)
		case now.Sub(f.lastSeen) > ttl && !s.opts.Mutants.Has(mutant.CompactionKeepsStale): // MUTANT compaction-keeps-stale
			c.expired = append(c.expired, id)
		case now.Sub(f.lastSeen) > ttl/2 && s.opts.Mutants.Has(mutant.CompactionExpiresSeen):
			c.expired = append(c.expired, id) // MUTANT compaction-expires-seen
		}
	}
	for c.floor < r.durable && now.Sub(r.entries[c.floor].at) > ttl {
		c.floor++
	}
	if s.opts.Mutants.Has(mutant.CompactionFloorOff) {
		c.floor = r.durable // MUTANT compaction-floor-off
	}
	if err := r.compact(c); err != nil {
		return fmt.Errorf("server: Compact(%q): %w", path, err)
	}
	r.persist(encodeCompact(c))
	return nil
}

// compact applies a compaction's outcome.
func (r *realm) compact(c compaction) error {
	for _, id := range slices.Concat(c.seen, c.expired) {
		if r.files[id] == nil {
			return fmt.Errorf("%w: compaction of unknown file %d", errRecord, id)
		}
	}
	if c.floor > r.latestVersion() {
		return fmt.Errorf("%w: floor %d past the latest version %d", errRecord, c.floor, r.latestVersion())
	}
	for _, id := range c.seen {
		f := r.files[id]
		f.lastSeen = max(f.lastSeen, c.at)
	}
	for _, id := range c.expired {
		f := r.files[id]
		f.expired = true
		f.clearRecip() // it will never integrate again
	}
	r.floor = max(r.floor, c.floor)
	return nil
}
