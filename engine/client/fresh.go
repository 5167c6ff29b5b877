package client

import "github.com/syncsim/syncsim/engine/store"

// FreshState is the state of the fresh copy an automatic client reset
// under way has downloaded so far (read only), or nil when no reset is
// under way. In ClientResetConfig.Before it is the complete fresh copy the
// reset goes on from: a harness records it to judge the reset.
func (s *Session) FreshState() *store.State {
	if s.resetting == nil {
		return nil
	}
	return s.resetting.fresh.State()
}
