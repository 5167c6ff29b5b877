package oracle

import (
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/syncsim/syncsim/history"
)

// restoreThenResets: after the restore, a and b present cursors of the old
// epoch past the backup; both are told to reset, take fresh files 3 and 4,
// download the restored history and go on syncing.
func restoreThenResets(h *hist) {
	h.refused("a", 1, cur(5, 3), salt1, 110, 120, history.CodeDivergingHistories)
	h.refused("b", 2, cur(5, 2), salt1, 110, 121, history.CodeBadServerVersion)
	h.Resets = append(h.Resets,
		history.Reset{Client: "a", Realm: testRealm, Mode: history.ModeDiscard, Outcome: history.ResetDiscarded, Code: history.CodeDivergingHistories,
			Call: 120, Return: 140, OldFile: 1, NewFile: 3},
		history.Reset{Client: "b", Realm: testRealm, Mode: history.ModeRecover, Outcome: history.ResetRecovered, Code: history.CodeBadServerVersion,
			Call: 121, Return: 141, OldFile: 2, NewFile: 4})
	h.newFile("a", 3, 120, 130)
	h.newFile("b", 4, 121, 131)
	h.download("a", 3, cur(0, 0), 0, 130, 140, cur(2, 0), salt2, 2, 0, ent(1, 1, 1), ent(2, 1, 2))
	h.download("b", 4, cur(0, 0), 0, 131, 141, cur(2, 0), salt2, 2, 0, ent(1, 1, 1), ent(2, 1, 2))
	h.upload("a", 3, salt2, 145, 150, 1, 1)
	h.download("a", 3, cur(2, 0), salt2, 140, 150, cur(3, 1), salt2, 3, 1)
	h.download("b", 4, cur(2, 0), salt2, 141, 152, cur(3, 0), salt2, 3, 0, ent(3, 3, 1))
}

// salt3 names an epoch after salt2.
const salt3 = 0xc3

// made is a download entry of the server-made changeset at server version
// sv: origin file 0, id {0, sv}.
func made(sv uint64) history.Entry { return ent(sv, 0, sv) }

// compensated: after basic, a sends 1:3 and 1:4 in one upload; the server
// reverts 1:3 with a compensating write appended right after it, in the
// middle of the upload: the log ends as [... 4:1:3 5:0:5 6:1:4] (downloads
// produced at a single instant, as the simulation records them).
func compensated(h *hist) {
	h.upload("a", 1, salt1, 70, 80, 4, 3, 4)
	h.download("b", 2, cur(3, 1), salt1, 85, 85, cur(6, 1), salt1, 6, 1, ent(4, 1, 3), made(5), ent(6, 1, 4))
	h.download("a", 1, cur(3, 2), salt1, 86, 86, cur(6, 4), salt1, 6, 4, made(5))
}

// rebuilt: after basic, sync is terminated and re-enabled at 80 under
// salt2 with the history cleared and rebuilt by the server's changeset
// 0:1; a is told to reset and its fresh file 5 downloads the new epoch.
func rebuilt(h *hist) {
	h.Terminates = append(h.Terminates, history.Terminate{Realm: testRealm, At: 80})
	h.refused("a", 1, cur(3, 2), salt1, 90, 95, history.CodeBadClientFileIdent)
	h.newFile("a", 5, 95, 100)
}

// compensatedThenRestored: after basic, a's 1:3 is reverted by the
// server's 0:5; backup 1 is taken at 85 holding both, the realm restored
// from it at 90 under salt2; nobody downloaded in the old epoch after
// 1:3, and c's fresh file 7 downloads 0:5 under salt2 only.
func compensatedThenRestored(h *hist) {
	h.upload("a", 1, salt1, 70, 80, 3, 3)
	h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 85})
	h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 90})
	h.newFile("c", 7, 95, 100)
	h.download("c", 7, cur(0, 0), 0, 105, 105, cur(5, 0), salt2, 5, 0,
		ent(1, 1, 1), ent(2, 1, 2), ent(3, 2, 1), ent(4, 1, 3), made(5))
}

// revertedThenRestored is compensatedThenRestored with a's upload reply
// lost: only the compensating write the server reported at 80 (before
// backup 1 at 85) says it integrated 1:3, and made 0:5, before the backup.
func revertedThenRestored(h *hist) {
	h.lostUpload("a", 1, salt1, 70, 3)
	h.Reverts = append(h.Reverts, history.Revert{Client: "a", Realm: testRealm, Changeset: history.ChangesetID{File: 1, Version: 3}, Object: "Task[1]", At: 80})
	h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 85})
	h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 90})
	h.newFile("c", 7, 95, 100)
	h.download("c", 7, cur(0, 0), 0, 105, 105, cur(5, 0), salt2, 5, 0,
		ent(1, 1, 1), ent(2, 1, 2), ent(3, 2, 1), ent(4, 1, 3), made(5))
}

func TestSyncLogAcceptsCorrectHistories(t *testing.T) {
	tests := []struct {
		name  string
		steps []func(*hist)
	}{
		{"uploads and downloads in order", []func(*hist){basic}},
		{"concurrent uploads in the server's order", []func(*hist){basic, concurrent}},
		{"restore from backup followed by client resets", []func(*hist){basic, backupAt2, concurrent, restore, restoreThenResets}},
		{"dropped reply: the server integrated it, the next session says so", []func(*hist){basic, func(h *hist) {
			h.lostUpload("a", 1, salt1, 70, 3)
			h.download("b", 2, cur(3, 1), salt1, 60, 80, cur(4, 1), salt1, 4, 1, ent(4, 1, 3))
			h.download("a", 1, cur(3, 2), salt1, 95, 100, cur(4, 3), salt1, 4, 3)
		}}},
		{"dropped reply: the server never got it, the client sends it again", []func(*hist){basic, func(h *hist) {
			h.lostUpload("a", 1, salt1, 70, 3, 4)
			h.download("a", 1, cur(3, 2), salt1, 95, 100, cur(3, 2), salt1, 3, 2)
			h.upload("a", 1, salt1, 101, 110, 5, 3, 4, 5)
			h.download("a", 1, cur(3, 2), salt1, 100, 110, cur(6, 5), salt1, 6, 5)
			h.download("b", 2, cur(3, 1), salt1, 60, 112, cur(6, 1), salt1, 6, 1, ent(4, 1, 3), ent(5, 1, 4), ent(6, 1, 5))
		}}},
		{"dropped reply: the server integrated part of it before crashing", []func(*hist){basic, func(h *hist) {
			h.lostUpload("a", 1, salt1, 70, 3, 4)
			h.download("a", 1, cur(3, 2), salt1, 95, 100, cur(4, 3), salt1, 4, 3)
			h.upload("a", 1, salt1, 101, 110, 4, 4)
			h.download("a", 1, cur(4, 3), salt1, 100, 110, cur(5, 4), salt1, 5, 4)
		}}},
		{"upload in a session that survived a restore refused with any sync-log code", []func(*hist){basic, backupAt2, concurrent, restore, func(h *hist) {
			u := h.upload("a", 1, salt1, 105, 108, 0, 6)
			u.Outcome, u.Code = history.OutcomeReset, history.CodeBadServerVersion
		}}},
		{"transient error instead of a download says nothing", []func(*hist){basic, func(h *hist) {
			h.Downloads = append(h.Downloads, history.Download{Client: "a", Realm: testRealm, File: 1, FileSalt: fsalt(1),
				From: cur(3, 2), FromSalt: salt1, Call: 70, Return: 75, Outcome: history.OutcomeUnknown})
		}}},
		{"expired file told to reset", []func(*hist){basic, func(h *hist) {
			h.endSession(1, 45)
			h.Compactions = append(h.Compactions, history.Compact{Realm: testRealm, At: 80, MaxOffline: 30})
			h.refused("a", 1, cur(3, 2), salt1, 90, 95, history.CodeClientFileExpired)
		}}},
		{"compaction floor: a cursor below it is refused with bad server version", []func(*hist){basic, func(h *hist) {
			h.Compactions = append(h.Compactions, history.Compact{Realm: testRealm, At: 70, MaxOffline: 20})
			h.refused("a", 1, cur(2, 2), salt1, 75, 80, history.CodeBadServerVersion)
		}}},
		{"compaction floor: a session already downloading goes on below it", []func(*hist){basic, func(h *hist) {
			h.Compactions = append(h.Compactions, history.Compact{Realm: testRealm, At: 70, MaxOffline: 20})
			h.download("b", 2, cur(2, 0), salt1, 75, 80, cur(3, 1), salt1, 3, 1)
		}}},
		{"compaction floor: an upload based below it is refused with bad server version", []func(*hist){basic, func(h *hist) {
			h.Compactions = append(h.Compactions, history.Compact{Realm: testRealm, At: 70, MaxOffline: 20})
			u := h.upload("a", 1, salt1, 75, 80, 0, 3)
			u.Outcome, u.Code, u.Base = history.OutcomeReset, history.CodeBadServerVersion, 2
		}}},
		{"terminate: every file told to reset", []func(*hist){basic, func(h *hist) {
			h.Terminates = append(h.Terminates, history.Terminate{Realm: testRealm, At: 80})
			h.refused("a", 1, cur(3, 2), salt1, 90, 95, history.CodeBadClientFileIdent)
			h.newFile("a", 5, 95, 100)
			h.download("a", 5, cur(0, 0), 0, 100, 105, cur(0, 0), salt2, 0, 0)
		}}},
		{"server-made changeset: a compensating write right after the changeset it reverts, in the middle of one upload", []func(*hist){basic, compensated}},
		{"server-made changeset: downloads recorded with client-side bounds (called before the upload they follow)", []func(*hist){basic, func(h *hist) {
			h.upload("a", 1, salt1, 70, 80, 4, 3, 4)
			h.download("b", 2, cur(3, 1), salt1, 60, 85, cur(6, 1), salt1, 6, 1, ent(4, 1, 3), made(5), ent(6, 1, 4))
			h.download("a", 1, cur(3, 2), salt1, 62, 86, cur(6, 4), salt1, 6, 4, made(5))
		}}},
		{"terminate rebuilt: the new epoch starts with 0:Keep+1, a fresh file downloads it", []func(*hist){basic, rebuilt, func(h *hist) {
			h.download("a", 5, cur(0, 0), 0, 105, 105, cur(1, 0), salt2, 1, 0, made(1))
		}}},
		{"terminate rebuilt: a download not yet past 0:1 counts it in its latest version", []func(*hist){basic, rebuilt, func(h *hist) {
			h.download("a", 5, cur(0, 0), 0, 105, 105, cur(0, 0), salt2, 1, 0)
			h.download("a", 5, cur(0, 0), salt2, 106, 106, cur(1, 0), salt2, 1, 0, made(1))
		}}},
		{"server-made changeset delivered only after a restore, at a version the backup held: made in the backup's epoch", []func(*hist){basic, compensatedThenRestored}},
		{"server-made changeset delivered only after a restore, after a changeset whose reply was lost: a compensating write reported before the backup puts both in it", []func(*hist){basic, revertedThenRestored}},
		{"server-made changeset delivered only after a restore: terminate rebuilt, backup of 0:1, restore", []func(*hist){basic, rebuilt, func(h *hist) {
			h.Backups = append(h.Backups, history.Backup{Realm: testRealm, ID: 1, At: 85})
			h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 90})
			h.download("a", 5, cur(0, 0), 0, 105, 105, cur(1, 0), salt3, 1, 0, made(1))
		}}},
		{"download reset checks are independent: a cursor past the log and past the file answered with bad server version", []func(*hist){basic, func(h *hist) {
			h.refused("a", 1, cur(5, 4), salt1, 70, 75, history.CodeBadServerVersion)
		}}},
		{"download reset checks are independent: a cursor past the log and past the file answered with bad client version", []func(*hist){basic, func(h *hist) {
			h.refused("a", 1, cur(5, 4), salt1, 70, 75, history.CodeBadClientVersion)
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(build(tt.steps...), Options{})
			require.NoError(t, err)
			v, _ := rep.Verdict(OracleSyncLog)
			require.True(t, v.Pass, "%v", v.Failures)
		})
	}
}

func TestSyncLogRejectsViolations(t *testing.T) {
	tests := []struct {
		name  string
		steps []func(*hist)
		why   string // part of the failure message
	}{
		{"changeset integrated twice", []func(*hist){basic, func(h *hist) {
			h.upload("a", 1, salt1, 70, 80, 3, 2, 3) // resends 1:2, which the server already has
			h.download("b", 2, cur(3, 1), salt1, 60, 85, cur(5, 1), salt1, 5, 1, ent(4, 1, 2), ent(5, 1, 3))
		}}, "the log holds 4"},
		{"acknowledged changeset missing from a later download (lost write)", []func(*hist){basic, func(h *hist) {
			h.upload("a", 1, salt1, 70, 80, 3, 3)
			h.download("b", 2, cur(3, 1), salt1, 85, 95, cur(3, 1), salt1, 3, 1)
		}}, "latest server version is 3, the log holds 4"},
		{"download with a gap", []func(*hist){basic, func(h *hist) {
			h.upload("a", 1, salt1, 70, 80, 3, 3)
			h.upload("a", 1, salt1, 81, 90, 4, 4)
			h.download("b", 2, cur(3, 1), salt1, 91, 100, cur(5, 1), salt1, 5, 1, ent(5, 1, 4))
		}}, "at server version 4 the log holds 1:3, the download has 1:4 at 5"},
		{"download containing the client's own changeset", []func(*hist){basic, func(h *hist) {
			h.upload("b", 2, salt1, 70, 80, 2, 2)
			h.download("b", 2, cur(3, 1), salt1, 60, 80, cur(4, 2), salt1, 4, 2, ent(4, 2, 2))
		}}, "is not in the log's slice"},
		{"missed reset: acknowledgement after a restore to a client past the backup", []func(*hist){basic, backupAt2, concurrent, restore, func(h *hist) {
			h.upload("a", 1, salt1, 105, 108, 6, 6)
		}}, "missed reset: acknowledged where the server owed diverging histories"},
		{"missed reset: download after a restore to a client past the backup", []func(*hist){basic, backupAt2, concurrent, restore, func(h *hist) {
			h.download("a", 1, cur(5, 3), salt1, 110, 120, cur(5, 3), salt2, 2, 2)
		}}, "missed reset: a download from 5/3 where the server owed diverging histories, bad server version"},
		{"missed reset: a download from below the compaction floor", []func(*hist){basic, func(h *hist) {
			h.Compactions = append(h.Compactions, history.Compact{Realm: testRealm, At: 70, MaxOffline: 20})
			h.download("a", 1, cur(2, 2), salt1, 75, 80, cur(3, 2), salt1, 3, 2, ent(3, 2, 1))
			h.Downloads[len(h.Downloads)-1].First = true
		}}, "missed reset: a download from 2/2 where the server owed bad server version"},
		{"spurious reset", []func(*hist){basic, func(h *hist) {
			h.refused("a", 1, cur(3, 2), salt1, 62, 70, history.CodeDivergingHistories)
		}}, `spurious reset: "diverging histories" where none was due`},
		{"spurious reset of an upload", []func(*hist){basic, func(h *hist) {
			u := h.upload("a", 1, salt1, 70, 80, 0, 3)
			u.Outcome, u.Code = history.OutcomeReset, history.CodeBadClientVersion
		}}, `spurious reset: "bad client version" where none was due`},
		{"reset with a code the state does not justify", []func(*hist){basic, backupAt2, concurrent, restore, func(h *hist) {
			h.refused("a", 1, cur(5, 3), salt1, 110, 120, history.CodeClientFileExpired)
		}}, `reset "client file expired" where the server owed diverging histories, bad server version`},
		{"acknowledgement skipping a changeset the client sent", []func(*hist){basic, func(h *hist) {
			h.lostUpload("a", 1, salt1, 70, 3)
			h.upload("a", 1, salt1, 75, 80, 4, 4)
			h.download("a", 1, cur(3, 2), salt1, 62, 80, cur(4, 4), salt1, 4, 4)
		}}, "latest server version is 4, the log holds 5"},
		{"client file ident handed out twice", []func(*hist){basic, func(h *hist) {
			h.newFile("c", 1, 70, 80)
		}}, "client file 1 handed out while the server knows it"},
		{"restore that keeps the epoch salt", []func(*hist){basic, backupAt2, func(h *hist) {
			h.Restores = append(h.Restores, history.Restore{Realm: testRealm, Backup: 1, At: 100})
			h.newFile("c", 7, 101, 102)
			h.download("c", 7, cur(0, 0), 0, 103, 103, cur(2, 0), salt1, 2, 0, ent(1, 1, 1), ent(2, 1, 2))
		}}, "the new epoch kept it"},
		{"server-made changeset: two clients' downloads place it at different server versions", []func(*hist){basic, func(h *hist) {
			h.upload("a", 1, salt1, 70, 80, 4, 3, 4)
			h.download("b", 2, cur(3, 1), salt1, 85, 85, cur(6, 1), salt1, 6, 1, ent(4, 1, 3), made(5), ent(6, 1, 4))
			h.download("a", 1, cur(3, 2), salt1, 86, 86, cur(6, 4), salt1, 6, 4, made(6))
		}}, "latest server version is 6, the log holds 7"},
		{"server-made changeset: a download's latest version counts one no download delivers", []func(*hist){basic, func(h *hist) {
			h.upload("a", 1, salt1, 70, 80, 3, 3)
			h.download("b", 2, cur(3, 1), salt1, 85, 85, cur(4, 1), salt1, 5, 1, ent(4, 1, 3))
		}}, "latest server version is 5, the log holds 4"},
		{"server-made changeset: one download has it right after 1:3, another says the log ended at 1:3", []func(*hist){basic, func(h *hist) {
			h.upload("a", 1, salt1, 70, 80, 3, 3)
			h.download("b", 2, cur(3, 1), salt1, 85, 85, cur(5, 1), salt1, 5, 1, ent(4, 1, 3), made(5))
			h.download("a", 1, cur(3, 2), salt1, 82, 82, cur(4, 3), salt1, 4, 3)
		}}, "latest server version is 4, the log holds 5"},
		{"terminate: a download counting a changeset at 1 no download of the new epoch delivers", []func(*hist){basic, rebuilt, func(h *hist) {
			h.download("a", 5, cur(0, 0), 0, 105, 105, cur(0, 0), salt2, 1, 0)
		}}, "latest server version is 1, the log holds 0"},
		{"server-made changeset delivered after a restore from a backup taken before it was made", []func(*hist){basic, compensatedThenRestored, func(h *hist) {
			h.Backups[0].At = 65 // before 1:3 was uploaded
		}}, "the log holds 3"},
		{"download reset checks are independent: bad client version where only the server version is past the log", []func(*hist){basic, func(h *hist) {
			h.refused("a", 1, cur(5, 2), salt1, 70, 75, history.CodeBadClientVersion)
		}}, `reset "bad client version" where the server owed bad server version`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := Check(build(tt.steps...), Options{})
			require.NoError(t, err)
			v, _ := rep.Verdict(OracleSyncLog)
			require.False(t, v.Pass)
			require.False(t, v.TimedOut)
			require.Len(t, v.Failures, 1)
			require.Contains(t, v.Failures[0], tt.why)
		})
	}
}
