package observe_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/syncsim/syncsim/engine/changeset"
	"github.com/syncsim/syncsim/engine/protocol"
	"github.com/syncsim/syncsim/history"
	"github.com/syncsim/syncsim/sim/clock"
	"github.com/syncsim/syncsim/sim/observe"
)

// tapped is a Wire on a clock, and a way to play messages past it: a
// client "c" and the server "s" on connection 1, session 1.
type tapped struct {
	clk  *clock.Clock
	h    *history.History
	wire *observe.Wire
}

func newTapped() *tapped {
	clk := clock.New()
	h := &history.History{}
	return &tapped{clk: clk, h: h, wire: observe.NewWire(clk, "s", h)}
}

// at moves the clock to t (milliseconds).
func (tp *tapped) at(ms int) { tp.clk.RunUntil(clock.Time(time.Duration(ms) * time.Millisecond)) }

func (tp *tapped) clientSends(m protocol.Message) { tp.wire.Sent(1, "c", "s", protocol.Encode(m)) }
func (tp *tapped) serverSends(m protocol.Message) { tp.wire.Sent(1, "s", "c", protocol.Encode(m)) }

// delivered delivers m, sent by the server at sentMS, now.
func (tp *tapped) delivered(m protocol.Message, sentMS int) {
	tp.wire.Delivered(1, "s", "c", protocol.Encode(m), clock.Time(time.Duration(sentMS)*time.Millisecond), false)
}

// arrives delivers m, sent by the client at sentMS, to the server now.
func (tp *tapped) arrives(m protocol.Message, sentMS int) {
	tp.wire.Delivered(1, "c", "s", protocol.Encode(m), clock.Time(time.Duration(sentMS)*time.Millisecond), false)
}

// uploads sends an UPLOAD now and delivers it to the server at arriveMS.
func (tp *tapped) uploads(u *protocol.Upload, arriveMS int) {
	sent := int(tp.clk.Now() / clock.Time(time.Millisecond))
	tp.clientSends(u)
	tp.at(arriveMS)
	tp.arrives(u, sent)
}

// bound binds file 7 (salt 70) on session 1 and delivers its first
// DOWNLOAD, so that uploads are recorded.
func (tp *tapped) bound() {
	tp.clientSends(&protocol.Bind{SessionIdent: 1, Path: "/r"})
	tp.clientSends(&protocol.ClientIdent{SessionIdent: 1, ClientFileIdent: 7, ClientFileSalt: 70})
	tp.delivered(&protocol.Download{SessionIdent: 1, ServerVersionSalt: 9}, int(tp.clk.Now()/clock.Time(time.Millisecond)))
}

func upload(versions ...uint64) *protocol.Upload {
	u := &protocol.Upload{SessionIdent: 1}
	for _, v := range versions {
		u.Changesets = append(u.Changesets, changeset.Changeset{Version: v, OriginFileIdent: 7})
	}
	return u
}

func ms(n int) int64 { return int64(time.Duration(n) * time.Millisecond) }

// TestWire_ResetErrorAnswersOnlyTheUploadsSentBeforeIt: the server's reset
// ERROR answers the uploads it had; an upload the client sent after the
// server had ended the session gets no reply (unknown, return Infinite),
// not one dated before its call. The reset is shown to OnReset before the
// client handles it.
func TestWire_ResetErrorAnswersOnlyTheUploadsSentBeforeIt(t *testing.T) {
	tp := newTapped()
	var asked []observe.ResetAsked
	tp.wire.OnReset(func(a observe.ResetAsked) { asked = append(asked, a) })
	tp.bound()
	tp.at(10)
	tp.uploads(upload(1), 15)
	tp.at(30)
	tp.uploads(upload(2), 35)
	tp.at(40)
	tp.delivered(&protocol.Error{SessionIdent: 1, Code: protocol.RoleChange, Action: protocol.ActionClientResetNoRecovery}, 20)

	require.Len(t, tp.h.Uploads, 2)
	first, second := tp.h.Uploads[0], tp.h.Uploads[1]
	assert.Equal(t, history.OutcomeReset, first.Outcome)
	assert.Equal(t, history.Code("role change"), first.Code)
	assert.Equal(t, ms(15), first.Call, "its arrival at the server")
	assert.Equal(t, ms(20), first.Return, "the server's send time")
	assert.Equal(t, history.OutcomeUnknown, second.Outcome)
	assert.Equal(t, history.Infinite, second.Return)
	require.NoError(t, tp.h.Validate())
	assert.Equal(t, []observe.ResetAsked{{Client: "c", Realm: "/r", File: 7, Code: "role change", NoRecovery: true, At: ms(40)}}, asked)
}

// TestWire_ServerIdentIsAFileWhenSentEvenIfItNeverArrives: the ident is
// handed out when the server sends SERVER_IDENT; a lost one still names a
// file the server knows.
func TestWire_ServerIdentIsAFileWhenSentEvenIfItNeverArrives(t *testing.T) {
	tp := newTapped()
	tp.at(5)
	tp.clientSends(&protocol.Bind{SessionIdent: 1, Path: "/r", NeedClientFileIdent: true})
	tp.at(8)
	tp.serverSends(&protocol.ServerIdent{SessionIdent: 1, ClientFileIdent: 3, Salt: 33})
	assert.Equal(t, []history.NewFile{{Client: "c", Realm: "/r", File: 3, Salt: 33, Call: ms(5), Return: ms(8),
		Seq: history.Seq{CallSeq: 1, ReturnSeq: 2}}}, tp.h.NewFiles)
	tp.serverSends(&protocol.ServerIdent{SessionIdent: 1, ClientFileIdent: 3, Salt: 33})
	assert.Len(t, tp.h.NewFiles, 1, "one ident per BIND that asked for one")
}

// TestWire_CompensatingWriteIsARevertPerObject: an ERROR CompensatingWrite
// names the reverted changeset (the session's file, the client version of
// its compensation) and one Revert per object it names, from its typed
// fields, not its text, dated when the server sent it (its arrival adds
// nothing); columns and tables are no objects.
func TestWire_CompensatingWriteIsARevertPerObject(t *testing.T) {
	tp := newTapped()
	tp.bound()
	tp.at(50)
	report := &protocol.Error{SessionIdent: 1, Code: protocol.CompensatingWrite, Action: protocol.ActionRevert,
		Message: "client version 9: for humans only; reverted:\nOther[1]",
		Compensation: &protocol.Compensation{ClientVersion: 4, Reverted: []protocol.Reverted{
			{Kind: protocol.RevertedObject, Class: "Person", PK: changeset.StrPK("p1")},
			{Kind: protocol.RevertedObject, Class: "Task", PK: changeset.IntPK(12)},
			{Kind: protocol.RevertedColumn, Class: "Person", Field: "name"},
			{Kind: protocol.RevertedTable, Class: "Person"},
		}}}
	tp.serverSends(report) // recorded as sent: the report itself may be lost
	tp.at(55)
	tp.delivered(report, 50)
	id := history.ChangesetID{File: 7, Version: 4}
	assert.Equal(t, []history.Revert{
		{Client: "c", Realm: "/r", Changeset: id, Object: history.ObjectName("Person", history.Str("p1")), At: ms(50)},
		{Client: "c", Realm: "/r", Changeset: id, Object: history.ObjectName("Task", history.Int(12)), At: ms(50)},
	}, tp.h.Reverts)
	tp.uploads(upload(5), 55)
	assert.Len(t, tp.h.Uploads, 1, "a revert leaves the session syncing")
}

// TestWire_RevertNamesAnyObjectAsTheOracleDoes: whatever the class and
// primary key (any int, any string), the object a compensation names is
// recorded as history.ObjectName names it.
func TestWire_RevertNamesAnyObjectAsTheOracleDoes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		class := rapid.StringN(1, 12, -1).Draw(t, "class")
		pk, want := changeset.PK{}, ""
		if rapid.Bool().Draw(t, "string") {
			str := rapid.String().Draw(t, "str")
			pk, want = changeset.StrPK(str), history.ObjectName(class, history.Str(str))
		} else {
			i := rapid.Int64().Draw(t, "int")
			pk, want = changeset.IntPK(i), history.ObjectName(class, history.Int(i))
		}
		tp := newTapped()
		tp.bound()
		tp.serverSends(&protocol.Error{SessionIdent: 1, Code: protocol.CompensatingWrite, Action: protocol.ActionRevert,
			Compensation: &protocol.Compensation{ClientVersion: 1, Reverted: []protocol.Reverted{
				{Kind: protocol.RevertedObject, Class: class, PK: pk}}}})
		require.Len(t, tp.h.Reverts, 1)
		assert.Equal(t, want, tp.h.Reverts[0].Object)
	})
}

// TestWire_AnUploadIsRecordedWhenItReachesTheServer: an UPLOAD enters the
// history when it first arrives, original or network-made copy (its
// interval starts there); one lost on the way never reached the server and
// is not recorded, nor is a second arrival.
func TestWire_AnUploadIsRecordedWhenItReachesTheServer(t *testing.T) {
	tp := newTapped()
	tp.bound()
	tp.at(10)
	tp.clientSends(upload(1)) // lost on the way
	tp.at(20)
	tp.uploads(upload(1, 2), 25)
	tp.wire.Delivered(1, "c", "s", protocol.Encode(upload(1, 2)), clock.Time(ms(20)), true) // a duplicate
	require.Len(t, tp.h.Uploads, 1)
	tp.at(26)
	tp.clientSends(upload(3))
	tp.wire.Delivered(1, "c", "s", protocol.Encode(upload(3)), clock.Time(ms(26)), true) // a copy, the original lost
	require.Len(t, tp.h.Uploads, 2, "the server integrates a copy as it would the original")
	u := tp.h.Uploads[0]
	assert.Equal(t, ms(25), u.Call)
	assert.Equal(t, []history.ChangesetID{{File: 7, Version: 1}, {File: 7, Version: 2}}, u.IDs)
	tp.at(30)
	tp.delivered(&protocol.Download{SessionIdent: 1, ServerVersionSalt: 9, UploadCursor: protocol.UploadCursor{ClientVersion: 2}}, 28)
	assert.Equal(t, history.OutcomeOK, tp.h.Uploads[0].Outcome)
	assert.Equal(t, ms(28), tp.h.Uploads[0].Return)
}

// TestWire_SeqOrdersWhatHappensAtOneInstant: the server's messages sent at
// one instant keep their order (Seq), as does an upload's arrival before
// the acknowledgement it causes, whatever order they are delivered in.
func TestWire_SeqOrdersWhatHappensAtOneInstant(t *testing.T) {
	tp := newTapped()
	tp.bound()
	tp.at(10)
	tp.clientSends(upload(1))
	tp.at(20)
	tp.arrives(upload(1), 10)
	first := &protocol.Download{SessionIdent: 1, ServerVersionSalt: 9}
	second := &protocol.Download{SessionIdent: 1, ServerVersionSalt: 9, UploadCursor: protocol.UploadCursor{ClientVersion: 1}}
	tp.serverSends(first)
	tp.serverSends(second)
	tp.at(30)
	tp.delivered(first, 20)
	tp.delivered(second, 20)
	require.Len(t, tp.h.Downloads, 3)
	d1, d2, u := tp.h.Downloads[1], tp.h.Downloads[2], tp.h.Uploads[0]
	assert.Equal(t, d1.Call, d2.Call, "sent at one instant")
	assert.Less(t, d1.CallSeq, d2.CallSeq)
	assert.Equal(t, u.Call, d1.Call)
	assert.Less(t, u.CallSeq, d1.CallSeq, "the upload arrived before the server answered")
	assert.Equal(t, d2.CallSeq, u.ReturnSeq, "acknowledged by the second")
	require.NoError(t, tp.h.Validate())
}

// TestWire_TickNumbersHarnessEventsInTheSameSequence: an event of the
// harness's own (a restore) gets a number between the messages before it
// and those after, so the history orders them at one instant.
func TestWire_TickNumbersHarnessEventsInTheSameSequence(t *testing.T) {
	tp := newTapped()
	tp.bound()
	tp.at(10)
	before := &protocol.Download{SessionIdent: 1, ServerVersionSalt: 9}
	tp.serverSends(before)
	restore := tp.wire.Tick()
	after := &protocol.Download{SessionIdent: 1, ServerVersionSalt: 9, UploadCursor: protocol.UploadCursor{ClientVersion: 0}, LatestServerVersion: 1}
	tp.serverSends(after)
	tp.at(20)
	tp.delivered(before, 10)
	tp.delivered(after, 10)
	require.Len(t, tp.h.Downloads, 3)
	assert.Less(t, tp.h.Downloads[1].CallSeq, restore)
	assert.Greater(t, tp.h.Downloads[2].CallSeq, restore)
}
