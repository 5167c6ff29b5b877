package client

import (
	"time"

	"github.com/syncsim/syncsim/engine/mutant"
)

// Reconnect backoff: the first retry after a failure waits about
// backoffInitial, each further consecutive failure doubles the delay up to
// backoffMax, and a random jitter subtracts up to a quarter of it.
const (
	backoffInitial = time.Second
	backoffMax     = 5 * time.Minute
)

// Rand is a source of randomness, e.g. a seeded *rng.Stream in the
// simulation. Uint64N returns a uniform value in [0, n), n > 0.
type Rand interface {
	Uint64N(n uint64) uint64
}

// backoff is the delay before the next reconnect attempt.
type backoff struct {
	rand    Rand
	next    time.Duration // the nominal delay of the next failure; 0 after a reset
	mutants mutant.Set
}

// delay returns how long to wait after a failure and doubles the next
// delay (up to the maximum). A server override replaces the delay.
func (b *backoff) delay(override time.Duration) time.Duration {
	d := max(b.next, backoffInitial)
	b.next = min(2*d, backoffMax)
	if override > 0 {
		return override
	}
	return d - time.Duration(b.rand.Uint64N(uint64(d/4)+1))
}

// reset starts the delays over, after a successful session or an
// explicit resume.
func (b *backoff) reset() {
	if b.mutants.Has(mutant.BackoffNeverResets) {
		return // MUTANT backoff-never-resets
	}
	b.next = 0
}
