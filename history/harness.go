package history

// The harness's own operations on a realm (DESIGN §1, §5): what the
// harness did and when, with the parameters it gave the server — never
// what the server decided. The oracles derive what each did (the server
// version a backup holds, what a restore rolled back, the new epoch's
// salt, the files a compaction expired, the compacted history's floor)
// from the observed operations. Seq orders each among the events of its
// instant At (see Seq; 0: unknown).

// Backup is the harness taking a backup snapshot of a realm, instantaneous.
// ID names it for a later Restore (unique per realm).
type Backup struct {
	Realm string `json:"realm"`
	ID    int    `json:"id"`
	At    int64  `json:"at"`
	Seq   uint64 `json:"seq,omitempty"`
}

// Restore is the harness restoring a realm from an earlier Backup: the
// history goes back to the snapshot under a new epoch salt.
type Restore struct {
	Realm  string `json:"realm"`
	Backup int    `json:"backup"`
	At     int64  `json:"at"`
	Seq    uint64 `json:"seq,omitempty"`
}

// Terminate is the harness terminating and re-enabling sync of a realm,
// one operation at the re-enable: every client file is forgotten and a
// new epoch (new salt) starts, its history cleared but for the data,
// which survives (the server may rebuild it as one server-made changeset
// at server version 1).
type Terminate struct {
	Realm string `json:"realm"`
	At    int64  `json:"at"`
	Seq   uint64 `json:"seq,omitempty"`
}

// Compact is the harness compacting a realm's history at At with the
// client maximum offline time MaxOffline it gave the server: the horizon
// is At - MaxOffline; files last seen before it (not bound in a session)
// expire, and the history integrated before it is trimmed (its floor).
type Compact struct {
	Realm      string `json:"realm"`
	At         int64  `json:"at"`
	MaxOffline int64  `json:"maxOffline"` // nanoseconds
	Seq        uint64 `json:"seq,omitempty"`
}

// Horizon is the compaction's horizon: At - MaxOffline.
func (c *Compact) Horizon() int64 { return c.At - c.MaxOffline }

// Fault is one injected fault. Realm is empty for a fault that is not about
// one realm (a network partition, a server crash).
type Fault struct {
	Kind   string `json:"kind"`
	Target string `json:"target"`
	Realm  string `json:"realm,omitempty"`
	At     int64  `json:"at"`
	Detail string `json:"detail,omitempty"`
}
