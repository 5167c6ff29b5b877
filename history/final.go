package history

// Convergence is the end of a run: the server's and every replica's final
// canonical state hash.
type Convergence struct {
	HealAt   int64         `json:"healAt"`
	Deadline int64         `json:"deadline"`
	Servers  []ServerState `json:"servers"`
	Replicas []Replica     `json:"replicas"`
	Final    []FinalState  `json:"final,omitempty"`
}

// FinalState is a realm's final state on the server, in the plain model,
// recorded with the Convergence (write accounting judges writes against
// it): every object with every scalar property (null included) and every
// non-empty list, as stored.
type FinalState struct {
	Realm string `json:"realm"`
	PlainState
}

// ServerState is a realm's final state on the server.
type ServerState struct {
	Realm string `json:"realm"`
	Hash  string `json:"hash"`
}

// Replica is a replica's final state. Live replicas must converge (one whose
// sync was stopped, e.g. by a manual reset, is not live). ReachedAt is when
// its state last became equal to the server's final one (Infinite: never).
type Replica struct {
	Client    string `json:"client"`
	Realm     string `json:"realm"`
	Hash      string `json:"hash"`
	Live      bool   `json:"live"`
	ReachedAt int64  `json:"reachedAt"`
}
