package history

import "slices"

// History is everything a run recorded, in any order.
type History struct {
	Uploads       []Upload       `json:"uploads,omitempty"`
	Downloads     []Download     `json:"downloads,omitempty"`
	NewFiles      []NewFile      `json:"newFiles,omitempty"`
	Backups       []Backup       `json:"backups,omitempty"`
	Restores      []Restore      `json:"restores,omitempty"`
	Terminates    []Terminate    `json:"terminates,omitempty"`
	Compactions   []Compact      `json:"compactions,omitempty"`
	Bounds        []Bound        `json:"bounds,omitempty"`
	Writes        []Write        `json:"writes,omitempty"`
	Reads         []Read         `json:"reads,omitempty"`
	WaitUploads   []WaitUpload   `json:"waitUploads,omitempty"`
	WaitDownloads []WaitDownload `json:"waitDownloads,omitempty"`
	Resets        []Reset        `json:"resets,omitempty"`
	ResetChecks   []ResetCheck   `json:"resetChecks,omitempty"`
	Reverts       []Revert       `json:"reverts,omitempty"`
	Faults        []Fault        `json:"faults,omitempty"`
	Convergence   *Convergence   `json:"convergence,omitempty"`
}

// RealmHistory is the part of a history about one realm.
type RealmHistory struct {
	Realm   string
	History *History
}

// ByRealm splits h per realm, in order of realm path. Faults without a realm
// go to every realm; the convergence record is split by realm.
func (h *History) ByRealm() []RealmHistory {
	names := map[string]bool{}
	add := func(r string) { names[r] = true }
	for _, x := range h.Uploads {
		add(x.Realm)
	}
	for _, x := range h.Downloads {
		add(x.Realm)
	}
	for _, x := range h.NewFiles {
		add(x.Realm)
	}
	for _, x := range h.Backups {
		add(x.Realm)
	}
	for _, x := range h.Restores {
		add(x.Realm)
	}
	for _, x := range h.Terminates {
		add(x.Realm)
	}
	for _, x := range h.Compactions {
		add(x.Realm)
	}
	for _, x := range h.Bounds {
		add(x.Realm)
	}
	for _, x := range h.Writes {
		add(x.Realm)
	}
	for _, x := range h.Reads {
		add(x.Realm)
	}
	for _, x := range h.WaitUploads {
		add(x.Realm)
	}
	for _, x := range h.WaitDownloads {
		add(x.Realm)
	}
	for _, x := range h.Resets {
		add(x.Realm)
	}
	for _, x := range h.ResetChecks {
		add(x.Realm)
	}
	for _, x := range h.Reverts {
		add(x.Realm)
	}
	for _, x := range h.Faults {
		if x.Realm != "" {
			add(x.Realm)
		}
	}
	if c := h.Convergence; c != nil {
		for _, x := range c.Servers {
			add(x.Realm)
		}
		for _, x := range c.Replicas {
			add(x.Realm)
		}
		for _, x := range c.Final {
			add(x.Realm)
		}
	}
	out := make([]RealmHistory, 0, len(names))
	for _, name := range sortedKeys(names) {
		out = append(out, RealmHistory{Realm: name, History: h.realm(name)})
	}
	return out
}

func (h *History) realm(name string) *History {
	r := &History{
		Uploads:       filter(h.Uploads, func(x Upload) bool { return x.Realm == name }),
		Downloads:     filter(h.Downloads, func(x Download) bool { return x.Realm == name }),
		NewFiles:      filter(h.NewFiles, func(x NewFile) bool { return x.Realm == name }),
		Backups:       filter(h.Backups, func(x Backup) bool { return x.Realm == name }),
		Restores:      filter(h.Restores, func(x Restore) bool { return x.Realm == name }),
		Terminates:    filter(h.Terminates, func(x Terminate) bool { return x.Realm == name }),
		Compactions:   filter(h.Compactions, func(x Compact) bool { return x.Realm == name }),
		Bounds:        filter(h.Bounds, func(x Bound) bool { return x.Realm == name }),
		Writes:        filter(h.Writes, func(x Write) bool { return x.Realm == name }),
		Reads:         filter(h.Reads, func(x Read) bool { return x.Realm == name }),
		WaitUploads:   filter(h.WaitUploads, func(x WaitUpload) bool { return x.Realm == name }),
		WaitDownloads: filter(h.WaitDownloads, func(x WaitDownload) bool { return x.Realm == name }),
		Resets:        filter(h.Resets, func(x Reset) bool { return x.Realm == name }),
		ResetChecks:   filter(h.ResetChecks, func(x ResetCheck) bool { return x.Realm == name }),
		Reverts:       filter(h.Reverts, func(x Revert) bool { return x.Realm == name }),
		Faults:        filter(h.Faults, func(x Fault) bool { return x.Realm == name || x.Realm == "" }),
	}
	if c := h.Convergence; c != nil {
		r.Convergence = &Convergence{
			HealAt:   c.HealAt,
			Deadline: c.Deadline,
			Servers:  filter(c.Servers, func(x ServerState) bool { return x.Realm == name }),
			Replicas: filter(c.Replicas, func(x Replica) bool { return x.Realm == name }),
			Final:    filter(c.Final, func(x FinalState) bool { return x.Realm == name }),
		}
	}
	return r
}

func filter[T any](xs []T, keep func(T) bool) []T {
	var out []T
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
