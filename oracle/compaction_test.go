package oracle

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
)

// The sync-log model's compaction rules (DESIGN §3 "history compaction",
// the error table), judged from the observed operations alone: the
// history says only when the harness compacted and with what maximum
// offline time; which files expired and where the floor landed are the
// oracle's to derive. Each test is a decision of the server's going wrong.

// compactAt80: after basic, the harness compacts at 80 with a maximum
// offline time of 30 (horizon 50).
func compactAt80(h *hist) {
	h.Compactions = append(h.Compactions, history.Compact{Realm: testRealm, At: 80, MaxOffline: 30})
}

func syncLogFailure(t *testing.T, steps ...func(*hist)) string {
	t.Helper()
	rep, err := Check(build(steps...), Options{})
	require.NoError(t, err)
	v, _ := rep.Verdict(OracleSyncLog)
	require.False(t, v.Pass, "the sync-log oracle must convict it")
	require.False(t, v.TimedOut)
	require.Len(t, v.Failures, 1)
	return v.Failures[0]
}

// Rule: a file bound in a session at the compaction is not expired
// (compaction-expires-seen).
func TestSyncLog_CompactionExpiresNoFileLiveInASession(t *testing.T) {
	why := syncLogFailure(t, basic, compactAt80, func(h *hist) {
		h.refused("a", 1, cur(3, 2), salt1, 90, 95, history.CodeClientFileExpired)
	})
	require.Contains(t, why, `spurious reset: "client file expired"`)
}

// Rule: a file seen (an upload acknowledged) after the horizon is not
// expired, though its session has ended (compaction-expires-seen).
func TestSyncLog_CompactionExpiresNoFileSeenWithinTheMaximumOfflineTime(t *testing.T) {
	why := syncLogFailure(t, basic, func(h *hist) {
		h.upload("a", 1, salt1, 55, 60, 3, 3)
		h.download("a", 1, cur(3, 2), salt1, 60, 60, cur(4, 3), salt1, 4, 3)
		h.endSession(1, 65)
	}, compactAt80, func(h *hist) {
		h.refused("a", 1, cur(4, 3), salt1, 90, 95, history.CodeClientFileExpired)
	})
	require.Contains(t, why, `spurious reset: "client file expired"`)
}

// Rule: a file whose sessions all ended before the horizon, not seen
// since, expires: its next CLIENT_IDENT is owed "client file expired"
// (compaction-keeps-stale).
func TestSyncLog_CompactionExpiresAFileNotSeenForLongerThanTheMaximumOfflineTime(t *testing.T) {
	why := syncLogFailure(t, basic, func(h *hist) { h.endSession(1, 45) }, compactAt80, func(h *hist) {
		h.download("a", 1, cur(3, 2), salt1, 90, 90, cur(3, 2), salt1, 3, 2)
		h.Downloads[len(h.Downloads)-1].First = true
	})
	require.Contains(t, why, "missed reset: a download from 3/2 where the server owed client file expired")
}

// Rule: the floor is at most the entries integrated before the horizon: a
// cursor at a version integrated after it is served (compaction-floor-off,
// too high).
func TestSyncLog_CompactionFloorKeepsEntriesIntegratedWithinTheMaximumOfflineTime(t *testing.T) {
	why := syncLogFailure(t, basic, func(h *hist) {
		h.upload("a", 1, salt1, 65, 66, 3, 3)
		h.download("a", 1, cur(3, 2), salt1, 66, 66, cur(4, 3), salt1, 4, 3)
	}, compactAt80, func(h *hist) {
		h.refused("b", 2, cur(3, 1), salt1, 90, 95, history.CodeBadServerVersion)
	})
	require.Contains(t, why, `spurious reset: "bad server version"`)
}

// Rule: the floor is at least the entries surely integrated before the
// horizon: a session beginning from a cursor below them is refused
// (compaction-floor-off, too low).
func TestSyncLog_CompactionFloorTrimsEntriesIntegratedBeforeTheHorizon(t *testing.T) {
	why := syncLogFailure(t, basic, func(h *hist) {
		h.upload("a", 1, salt1, 65, 66, 3, 3)
		h.download("a", 1, cur(3, 2), salt1, 66, 66, cur(4, 3), salt1, 4, 3)
	}, compactAt80, func(h *hist) {
		h.download("b", 2, cur(1, 0), salt1, 90, 90, cur(4, 1), salt1, 4, 1, ent(2, 1, 2), ent(4, 1, 3))
		h.Downloads[len(h.Downloads)-1].First = true
	})
	require.Contains(t, why, "missed reset: a download from 1/0 where the server owed bad server version")
}

// Rule: where the observations cannot place the floor, the first answer
// settles it, and later answers must agree.
func TestSyncLog_CompactionFloorInDoubtIsSettledByTheFirstAnswer(t *testing.T) {
	// 2:1 was integrated in [45, 60]: around the horizon 50 of a compaction
	// at 80 with maximum offline time 30; the floor is 2 or 3.
	doubt := func(h *hist) {
		h.Downloads = h.Downloads[:len(h.Downloads)-1] // a learns of 2:1 only below
		h.Compactions = append(h.Compactions, history.Compact{Realm: testRealm, At: 80, MaxOffline: 30})
	}
	rep, err := Check(build(basic, doubt, func(h *hist) {
		h.refused("b", 2, cur(2, 0), salt1, 90, 95, history.CodeBadServerVersion)
	}), Options{})
	require.NoError(t, err)
	v, _ := rep.Verdict(OracleSyncLog)
	require.True(t, v.Pass, "either answer may be right: %v", v.Failures)
	why := syncLogFailure(t, basic, doubt, func(h *hist) {
		h.refused("b", 2, cur(2, 0), salt1, 90, 95, history.CodeBadServerVersion)
		h.download("a", 1, cur(2, 2), salt1, 100, 100, cur(3, 2), salt1, 3, 2, ent(3, 2, 1))
		h.Downloads[len(h.Downloads)-1].First = true
	})
	require.Contains(t, why, "missed reset")
}
