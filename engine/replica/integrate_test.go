package replica

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/env"
	"github.com/syncsim/syncsim/engine/merge/mergetest"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/engine/schema"
	"github.com/syncsim/syncsim/engine/store"
	"github.com/syncsim/syncsim/sim/disk"
)

const (
	ourIdent  = 10
	baseIdent = 20
)

// syncRun is a replica syncing with a reference server that other clients
// upload to, in an order the test draws.
type syncRun struct {
	t      *rapid.T
	d      *disk.Disk
	clk    *stepClock
	r      *Replica
	srv    *refServer
	others [][]*changeset.Changeset // what each other client has yet to upload
	sent   uint64                   // our last version uploaded on this "connection"
}

func newSyncRun(t *rapid.T) *syncRun {
	fleet := mergetest.Clients(3, 4, 4).Draw(t, "fleet")
	s := &syncRun{t: t, d: newDisk(t, 1), clk: &stepClock{}, srv: newRefServer()}
	base := &changeset.Changeset{Version: 1, OriginFileIdent: baseIdent, Instructions: store.Rebuild(fleet.Base)}
	require.NoError(t, s.srv.integrate(baseIdent, base))
	for _, seq := range fleet.Clients {
		var cs []*changeset.Changeset
		for i, c := range seq {
			c := *c
			c.Version, c.LastIntegratedServerVersion = uint64(i+1), 1
			cs = append(cs, &c)
		}
		s.others = append(s.others, cs)
	}
	s.open()
	require.NoError(t, s.r.SetIdent(ourIdent, 5))
	s.download(100)
	require.True(t, fleet.Base.Equal(s.r.State()))
	return s
}

func (s *syncRun) open() {
	r, err := OpenWith(s.d, "realm", s.clk, schema.Schema{}, Options{CompactBytes: 2048})
	require.NoError(s.t, err)
	s.r = r
	s.sent = r.Acked().ClientVersion
}

func (s *syncRun) write() {
	s.clk.now = env.Time(rapid.Int64Range(0, 4).Draw(s.t, "our timestamp"))
	ins := mergetest.Txn(s.t, s.r.State().Clone(), 4, changeset.Discriminant{}, "ours").Instructions
	if len(ins) == 0 {
		return
	}
	_, err := s.r.commitInstructions(ins)
	require.NoError(s.t, err)
}

func (s *syncRun) upload() bool {
	up := s.r.Uploadable(max(s.sent, s.r.Acked().ClientVersion), 1)
	if len(up) == 0 {
		return false
	}
	require.NoError(s.t, s.srv.integrate(ourIdent, &up[0]))
	s.sent = up[0].Version
	return true
}

func (s *syncRun) otherUpload(k int) bool {
	if len(s.others[k]) == 0 {
		return false
	}
	require.NoError(s.t, s.srv.integrate(uint64(k+1), s.others[k][0]))
	s.others[k] = s.others[k][1:]
	return true
}

func (s *syncRun) download(n int) {
	cur, _ := s.r.DownloadCursor()
	d := s.srv.download(ourIdent, cur.ServerVersion, n)
	require.NoError(s.t, s.r.Integrate(d))
	if rapid.Bool().Draw(s.t, "deliver twice") {
		before := s.r.State().Clone()
		require.NoError(s.t, s.r.Integrate(d))
		require.True(s.t, before.Equal(s.r.State()), "a download delivered twice changed the state")
	}
}

// restart crashes the disk and opens the replica again.
func (s *syncRun) restart() {
	before, version := s.r.State().Clone(), s.r.Version()
	cur, epoch := s.r.DownloadCursor()
	unsynced, unacked := s.r.Unsynced(), s.r.UnackedBytes()
	s.d.Crash()
	s.open()
	require.True(s.t, before.Equal(s.r.State()), "restart lost state:\n%s\nwant\n%s", s.r.State(), before)
	require.Equal(s.t, version, s.r.Version())
	cur2, epoch2 := s.r.DownloadCursor()
	require.Equal(s.t, cur, cur2)
	require.Equal(s.t, epoch, epoch2)
	require.Equal(s.t, unsynced, s.r.Unsynced())
	require.Equal(s.t, unacked, s.r.UnackedBytes())
	ident, _ := s.r.Ident()
	require.Equal(s.t, uint64(ourIdent), ident)
}

// TestIntegrationConvergesWithServerOrder checks the reciprocal-history
// integration: a replica with local changes that downloads server
// changesets (in batches, twice sometimes, across crashes and journal
// compactions) while uploading its own ends with the state the server built
// by integrating the same changesets in server order.
func TestIntegrationConvergesWithServerOrder(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := newSyncRun(t)
		for range rapid.IntRange(0, 30).Draw(t, "steps") {
			switch rapid.IntRange(0, 5).Draw(t, "event") {
			case 0, 1:
				s.write()
			case 2:
				s.upload()
			case 3:
				s.otherUpload(rapid.IntRange(0, len(s.others)-1).Draw(t, "client"))
			case 4:
				s.download(rapid.IntRange(1, 3).Draw(t, "batch"))
			case 5:
				s.restart()
			}
		}
		for s.upload() {
		}
		for k := range s.others {
			for s.otherUpload(k) {
			}
		}
		s.download(1 << 20)
		require.True(t, s.srv.state.Equal(s.r.State()), "replica\n%s\nserver\n%s", s.r.State(), s.srv.state)
		assert.Empty(t, s.r.Unsynced())
		assert.Equal(t, s.r.Version(), s.r.Acked().ClientVersion)
	})
}

func TestIntegrateRejectsContradictions(t *testing.T) {
	base := func() *Replica {
		r := openTest(t, newDisk(t, 1), &stepClock{})
		require.NoError(t, r.SetIdent(ourIdent, 5))
		require.NoError(t, r.Integrate(&protocol.Download{SessionIdent: 1, ServerVersionSalt: 77,
			DownloadCursor: protocol.DownloadCursor{ServerVersion: 3}}))
		return r
	}
	other := changeset.Changeset{OriginFileIdent: 3, Instructions: []changeset.Instruction{
		{Op: changeset.CreateObject, Class: "Dog", PK: rex}}}
	tests := []struct {
		name string
		d    protocol.Download
		want string
	}{
		{"another epoch", protocol.Download{SessionIdent: 1, ServerVersionSalt: 78, DownloadCursor: protocol.DownloadCursor{ServerVersion: 4}},
			"salt"},
		{"ack of a version never made", protocol.Download{SessionIdent: 1, ServerVersionSalt: 77,
			UploadCursor: protocol.UploadCursor{ClientVersion: 9}}, "acknowledges client version 9"},
		{"own changeset sent back", protocol.Download{SessionIdent: 1, ServerVersionSalt: 77, DownloadCursor: protocol.DownloadCursor{ServerVersion: 4},
			Changesets: []protocol.ServerChangeset{{ServerVersion: 4, Changeset: changeset.Changeset{OriginFileIdent: ourIdent}}}},
			"own changeset"},
		{"changeset past the cursor", protocol.Download{SessionIdent: 1, ServerVersionSalt: 77, DownloadCursor: protocol.DownloadCursor{ServerVersion: 4},
			Changesets: []protocol.ServerChangeset{{ServerVersion: 5, Changeset: other}}}, "past the download's cursor"},
		{"seen client version never made", protocol.Download{SessionIdent: 1, ServerVersionSalt: 77, DownloadCursor: protocol.DownloadCursor{ServerVersion: 4},
			Changesets: []protocol.ServerChangeset{{ServerVersion: 4, LastIntegratedClientVersion: 2, Changeset: other}}},
			"client version 2"},
		{"changeset the state rejects", protocol.Download{SessionIdent: 1, ServerVersionSalt: 77, DownloadCursor: protocol.DownloadCursor{ServerVersion: 4},
			Changesets: []protocol.ServerChangeset{{ServerVersion: 4, Changeset: changeset.Changeset{OriginFileIdent: 3,
				Instructions: []changeset.Instruction{{Op: changeset.Update, Class: "Dog", PK: rex, Field: "name",
					Value: changeset.Value{Kind: schema.String, Str: "x"}}}}}}},
			"no object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			before := r.State().Clone()
			err := r.Integrate(&tc.d)
			require.ErrorContains(t, err, tc.want)
			assert.True(t, before.Equal(r.State()))
			cur, _ := r.DownloadCursor()
			assert.Equal(t, uint64(3), cur.ServerVersion)
			assert.NoError(t, r.Err(), "bad input does not break the replica")
		})
	}
}

func TestIntegrateRecordsAckAndDropsAcknowledgedChangesets(t *testing.T) {
	r := openTest(t, newDisk(t, 1), &stepClock{})
	require.NoError(t, r.SetIdent(ourIdent, 5))
	for i := range 3 {
		_, err := r.Write(func(tx *Tx) error { return tx.Create("Dog", changeset.IntPK(int64(i))) })
		require.NoError(t, err)
	}
	require.Len(t, r.Unsynced(), 4)
	ack := protocol.UploadCursor{ClientVersion: 3, LastIntegratedServerVersion: 0}
	require.NoError(t, r.Integrate(&protocol.Download{SessionIdent: 1, ServerVersionSalt: 77, UploadCursor: ack,
		DownloadCursor: protocol.DownloadCursor{ServerVersion: 3, LastIntegratedClientVersion: 3}}))
	assert.Equal(t, ack, r.Acked())
	require.Len(t, r.Unsynced(), 1)
	assert.Equal(t, uint64(4), r.Unsynced()[0].Version)
	up := r.Uploadable(0, 1<<20)
	require.Len(t, up, 1, "acknowledged changesets are not uploaded again")
	assert.Equal(t, uint64(4), up[0].Version)
}

func TestUploadableBatchesByBytes(t *testing.T) {
	r := openTest(t, newDisk(t, 1), &stepClock{})
	for i := range 10 {
		_, err := r.Write(func(tx *Tx) error { return tx.Create("Dog", changeset.IntPK(int64(i))) })
		require.NoError(t, err)
	}
	one := len(changeset.Encode(r.Unsynced()[1]))
	tests := []struct {
		after    uint64
		maxBytes int
		want     []uint64
	}{
		{1, 0, []uint64{2}},
		{1, 3*one + 1, []uint64{2, 3, 4}},
		{9, 1 << 20, []uint64{10, 11}},
		{11, 1 << 20, nil},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("after %d max %d", tc.after, tc.maxBytes), func(t *testing.T) {
			var got []uint64
			for _, c := range r.Uploadable(tc.after, tc.maxBytes) {
				got = append(got, c.Version)
			}
			assert.Equal(t, tc.want, got)
		})
	}
}

// recorder is an Observer that keeps what it is told.
type recorder struct {
	committed  []uint64
	downloaded []uint64
}

func (o *recorder) Committed(cs *changeset.Changeset) { o.committed = append(o.committed, cs.Version) }
func (o *recorder) Integrated(d *protocol.Download) {
	o.downloaded = append(o.downloaded, d.DownloadCursor.ServerVersion)
}

func TestObserversHearOfCommitsAndIntegrations(t *testing.T) {
	r := openTest(t, newDisk(t, 1), &stepClock{})
	o := &recorder{}
	r.AddObserver(o)
	_, err := r.Write(func(tx *Tx) error { return tx.Create("Dog", rex) })
	require.NoError(t, err)
	_, err = r.Write(func(tx *Tx) error { return errors.New("aborted") })
	require.Error(t, err)
	d := &protocol.Download{SessionIdent: 1, ServerVersionSalt: 77, DownloadCursor: protocol.DownloadCursor{ServerVersion: 4}}
	require.NoError(t, r.Integrate(d))
	require.NoError(t, r.Integrate(d))
	assert.Equal(t, []uint64{2}, o.committed, "only committed transactions")
	assert.Equal(t, []uint64{4}, o.downloaded, "a download that changes nothing is not reported")
	r.RemoveObserver(o)
	_, err = r.Write(func(tx *Tx) error { return tx.Erase("Dog", rex) })
	require.NoError(t, err)
	assert.Len(t, o.committed, 1)
}
