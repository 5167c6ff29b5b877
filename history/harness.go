package history

// Backup is the harness taking a backup snapshot of a realm, instantaneous.
// ID names it for a later Restore (unique per realm); ServerVersion is the
// latest server version the snapshot holds.
type Backup struct {
	Realm         string `json:"realm"`
	ID            int    `json:"id"`
	ServerVersion uint64 `json:"serverVersion"`
	At            int64  `json:"at"`
	Seq           uint64 `json:"seq,omitempty"` // its order among the events of instant At (see Seq; 0: unknown)
}

// Restore is the harness restoring a realm from an earlier Backup: the
// history goes back to the snapshot under a new epoch Salt.
//
// RolledBack (write accounting): the changesets the restore removed, i.e.
// the entries of the server's history at server versions past the
// backup's ServerVersion, which the World reads from the server just
// before restoring (not what went missing after: a changeset the backup
// held and the restore lost must not be listed).
type Restore struct {
	Realm      string        `json:"realm"`
	Backup     int           `json:"backup"`
	Salt       uint64        `json:"salt"`
	At         int64         `json:"at"`
	Seq        uint64        `json:"seq,omitempty"` // its order among the events of instant At (see Seq; 0: unknown)
	RolledBack []ChangesetID `json:"rolledBack,omitempty"`
}

// Terminate is the harness terminating and re-enabling sync of a realm:
// every client file is forgotten and a new epoch Salt starts; the new
// epoch's history is the first Keep entries of the old one (0: cleared),
// then, if Rebuilt, one server-made changeset (id {0, Keep+1}) that
// rebuilds the realm's data.
type Terminate struct {
	Realm   string `json:"realm"`
	Salt    uint64 `json:"salt"`
	Keep    uint64 `json:"keep"`
	Rebuilt bool   `json:"rebuilt,omitempty"`
	At      int64  `json:"at"`
	Seq     uint64 `json:"seq,omitempty"` // its order among the events of instant At (see Seq; 0: unknown)
}

// Compact is the harness compacting a realm's history with the given
// horizon: the files in Expired (last seen before it) are expired, and the
// history below server version Floor is trimmed: a download cursor or an
// upload based on a server version in (0, Floor) is too old to serve (bad
// server version). A restore brings back the floor of its backup; a
// terminate starts again from 0.
type Compact struct {
	Realm   string   `json:"realm"`
	Horizon int64    `json:"horizon"`
	Expired []uint64 `json:"expired"`
	Floor   uint64   `json:"floor,omitempty"`
	At      int64    `json:"at"`
	Seq     uint64   `json:"seq,omitempty"` // its order among the events of instant At (see Seq; 0: unknown)
}

// Fault is one injected fault. Realm is empty for a fault that is not about
// one realm (a network partition, a server crash).
type Fault struct {
	Kind   string `json:"kind"`
	Target string `json:"target"`
	Realm  string `json:"realm,omitempty"`
	At     int64  `json:"at"`
	Detail string `json:"detail,omitempty"`
}
