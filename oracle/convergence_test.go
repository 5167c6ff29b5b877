package oracle

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
)

func TestConvergence(t *testing.T) {
	servers := []history.ServerState{{Realm: "/r", Hash: "h1"}, {Realm: "/s", Hash: "h2"}}
	tests := []struct {
		name     string
		replicas []history.Replica
		servers  []history.ServerState
		pass     bool
		ttc      int64
		why      string
	}{
		{name: "every live replica equals the server: time of the last after heal", pass: true, ttc: 700, replicas: []history.Replica{
			{Client: "a", Realm: "/r", Hash: "h1", Live: true, ReachedAt: 1500},
			{Client: "b", Realm: "/r", Hash: "h1", Live: true, ReachedAt: 1700},
			{Client: "a", Realm: "/s", Hash: "h2", Live: true, ReachedAt: 1200},
		}},
		{name: "replicas equal at heal converge in no time", pass: true, ttc: 0, replicas: []history.Replica{
			{Client: "a", Realm: "/r", Hash: "h1", Live: true, ReachedAt: 10},
		}},
		{name: "a replica that is not live is not judged", pass: true, ttc: 0, replicas: []history.Replica{
			{Client: "a", Realm: "/r", Hash: "stale", Live: false, ReachedAt: history.Infinite},
		}},
		{name: "a live replica that differs from the server fails", why: "replica b of realm /r ended at state h9, the server at h1", replicas: []history.Replica{
			{Client: "a", Realm: "/r", Hash: "h1", Live: true, ReachedAt: 1100},
			{Client: "b", Realm: "/r", Hash: "h9", Live: true, ReachedAt: history.Infinite},
		}},
		{name: "converging after the deadline fails", why: "after the deadline 5000", replicas: []history.Replica{
			{Client: "a", Realm: "/r", Hash: "h1", Live: true, ReachedAt: 5001},
		}},
		{name: "equal without a time of reaching it fails", why: "no time of reaching it", replicas: []history.Replica{
			{Client: "a", Realm: "/r", Hash: "h1", Live: true, ReachedAt: history.Infinite},
		}},
		{name: "a realm the server has no state of fails", why: "the server has no final state of the realm", replicas: []history.Replica{
			{Client: "a", Realm: "/t", Hash: "h1", Live: true, ReachedAt: 1000},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := CheckConvergence(&history.Convergence{HealAt: 1000, Deadline: 5000, Servers: servers, Replicas: tt.replicas})
			require.Equal(t, tt.pass, res.Pass, "%v", res.Failures)
			if tt.pass {
				require.Empty(t, res.Failures)
				require.Equal(t, tt.ttc, res.TimeToConverge)
				return
			}
			require.Len(t, res.Failures, 1)
			require.Contains(t, res.Failures[0], tt.why)
		})
	}
}

func TestConvergencePerRealm(t *testing.T) {
	res := CheckConvergence(&history.Convergence{HealAt: 100, Deadline: 900,
		Servers: []history.ServerState{{Realm: "/r", Hash: "x"}, {Realm: "/s", Hash: "y"}},
		Replicas: []history.Replica{
			{Client: "a", Realm: "/r", Hash: "x", Live: true, ReachedAt: 300},
			{Client: "b", Realm: "/s", Hash: "z", Live: true, ReachedAt: history.Infinite},
		}})
	require.False(t, res.Pass)
	require.Equal(t, []RealmConvergence{
		{Realm: "/r", Pass: true, TimeToConverge: 200, Live: 1},
		{Realm: "/s", Pass: false, Live: 1},
	}, res.PerRealm)
}
