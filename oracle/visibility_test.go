package oracle

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
)

func publish(h *hist, client string, call, ret int64, covered ...history.ChangesetID) {
	h.WaitUploads = append(h.WaitUploads, history.WaitUpload{Client: client, Realm: testRealm, Call: call, Return: ret,
		Covered: covered, Outcome: history.WaitCompleted})
}

func observe(h *hist, client string, call, ret int64, integrated ...history.ChangesetID) {
	h.WaitDownloads = append(h.WaitDownloads, history.WaitDownload{Client: client, Realm: testRealm, Call: call, Return: ret,
		Integrated: integrated, Outcome: history.WaitCompleted})
}

func id(file, version uint64) history.ChangesetID {
	return history.ChangesetID{File: file, Version: version}
}

func TestVisibility(t *testing.T) {
	tests := []struct {
		name string
		pass bool
		why  string
		step func(*hist)
	}{
		{name: "upload complete then download complete: visible", pass: true, step: func(h *hist) {
			publish(h, "a", 0, 10, id(1, 1), id(1, 2))
			observe(h, "b", 20, 30, id(1, 1), id(1, 2), id(2, 1))
			publish(h, "a", 31, 40, id(1, 1), id(1, 2), id(1, 3))
			observe(h, "b", 50, 60, id(1, 1), id(1, 2), id(1, 3))
		}},
		{name: "overlapping waits promise nothing", pass: true, step: func(h *hist) {
			publish(h, "a", 0, 25, id(1, 1))
			observe(h, "b", 20, 30)
		}},
		{name: "waits that did not complete promise nothing", pass: true, step: func(h *hist) {
			h.WaitUploads = append(h.WaitUploads, history.WaitUpload{Client: "a", Realm: testRealm, Call: 0, Return: 10,
				Covered: ids(1, 1), Outcome: history.WaitTimedOut})
			observe(h, "b", 20, 30)
			h.WaitDownloads = append(h.WaitDownloads, history.WaitDownload{Client: "b", Realm: testRealm, Call: 40, Return: 50,
				Outcome: history.WaitCancelled})
		}},
		{name: "a restore in between rolls published changesets back", pass: true, step: func(h *hist) {
			h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 1})
			publish(h, "a", 0, 10, id(1, 1))
			h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 15})
			observe(h, "b", 20, 30)
		}},
		{name: "a reset in between reported discarding them", pass: true, step: func(h *hist) {
			publish(h, "a", 0, 10, id(1, 1), id(1, 2))
			h.Resets = append(h.Resets, history.Reset{Client: "a", Realm: testRealm, Mode: history.ModeDiscard, Outcome: history.ResetDiscarded,
				Call: 12, Return: 14, OldFile: 1, NewFile: 3, Discarded: ids(1, 2)})
			observe(h, "b", 20, 30, id(1, 1))
		}},
		{name: "publish before observe but a changeset missing", why: "1:2 was published (upload complete) before b's download complete began, but b does not have it", step: func(h *hist) {
			publish(h, "a", 0, 10, id(1, 1), id(1, 2))
			observe(h, "b", 20, 30, id(1, 1))
		}},
		{name: "a restore before the publish does not excuse it", why: "1:1 was published", step: func(h *hist) {
			h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 1})
			h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 2})
			publish(h, "a", 5, 10, id(1, 1))
			observe(h, "b", 20, 30)
		}},
		{name: "a reset discarding other changesets does not excuse it", why: "1:1 was published", step: func(h *hist) {
			publish(h, "a", 0, 10, id(1, 1), id(1, 2))
			h.Resets = append(h.Resets, history.Reset{Client: "a", Realm: testRealm, Mode: history.ModeDiscard, Outcome: history.ResetDiscarded,
				Call: 12, Return: 14, OldFile: 1, NewFile: 3, Discarded: ids(1, 2)})
			observe(h, "b", 20, 30)
		}},
		{name: "an upload wait begun after a restore that rolled back what it covers does not promise those", pass: true, step: func(h *hist) {
			h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 1})
			h.upload("a", 1, salt1, 5, 10, 2, 1, 2) // integrated after the backup
			h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 15})
			publish(h, "a", 20, 25, id(1, 1), id(1, 2)) // a not yet told: the wait completes at once
			observe(h, "b", 30, 40)
		}},
		{name: "an upload wait begun after a restore still promises what the restore did not roll back", why: "1:3 was published", step: func(h *hist) {
			h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 1})
			h.upload("a", 1, salt1, 5, 10, 2, 1, 2)
			h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 15})
			h.upload("a", 1, salt1, 18, 19, 3, 3) // after the restore
			publish(h, "a", 20, 25, id(1, 1), id(1, 2), id(1, 3))
			observe(h, "b", 30, 40, id(1, 1))
		}},
		{name: "an upload wait begun after a terminate does not promise changesets of a file made before it", pass: true, step: func(h *hist) {
			h.newFile("a", 1, 0, 1)
			h.Terminates = append(h.Terminates, history.Terminate{Realm: testRealm, At: 15})
			publish(h, "a", 20, 25, id(1, 1), id(1, 2))
			observe(h, "b", 30, 40)
		}},
		{name: "an upload wait begun after a terminate promises changesets of a file made after it", why: "5:1 was published", step: func(h *hist) {
			h.newFile("a", 1, 0, 1)
			h.Terminates = append(h.Terminates, history.Terminate{Realm: testRealm, At: 15})
			h.newFile("a", 5, 16, 18)
			publish(h, "a", 20, 25, id(5, 1))
			observe(h, "b", 30, 40)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(build(tt.step), Options{})
			require.NoError(t, err)
			v, _ := rep.Verdict(OracleVisibility)
			if tt.pass {
				require.True(t, v.Pass, "%v", v.Failures)
				return
			}
			require.False(t, v.Pass)
			require.Len(t, v.Failures, 1)
			require.Contains(t, v.Failures[0], tt.why)
		})
	}
}
