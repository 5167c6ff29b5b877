package protocol_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/syncsim/syncsim/engine/protocol"
)

// TestEachConditionAsksForItsActionPerTheServerErrorTable checks DESIGN §3's
// server table row by row: each condition's code maps to the table's action.
func TestEachConditionAsksForItsActionPerTheServerErrorTable(t *testing.T) {
	tests := []struct {
		condition string
		code      protocol.ErrorCode
		action    protocol.Action
	}{
		{"client file ident unknown", protocol.BadClientFileIdent, protocol.ActionClientReset},
		{"ident salt or server-version salt differs", protocol.DivergingHistories, protocol.ActionClientReset},
		{"download cursor ahead of the server or behind compacted history", protocol.BadServerVersion, protocol.ActionClientReset},
		{"client version too high", protocol.BadClientVersion, protocol.ActionClientReset},
		{"client not seen for longer than the maximum offline time", protocol.ClientFileExpired, protocol.ActionClientReset},
		{"breaking schema change applied or schema mismatch", protocol.SchemaChange, protocol.ActionClientResetNoRecovery},
		{"changeset the server cannot integrate", protocol.BadChangeset, protocol.ActionClientResetNoRecovery},
		{"session role changed", protocol.RoleChange, protocol.ActionClientReset},
		{"write outside permissions", protocol.CompensatingWrite, protocol.ActionRevert},
		{"transient: server busy or restarting", protocol.Transient, protocol.ActionRetry},
		{"protocol violation: bad syntax", protocol.BadSyntax, protocol.ActionFatal},
		{"protocol violation: unknown message", protocol.UnknownMessage, protocol.ActionFatal},
		{"protocol violation: wrong protocol version", protocol.WrongProtocolVersion, protocol.ActionFatal},
		{"protocol violation: bad session ident", protocol.BadSessionIdent, protocol.ActionFatal},
		{"protocol violation: bad message order", protocol.BadMessageOrder, protocol.ActionFatal},
		{"token refused", protocol.BadAuthentication, protocol.ActionLogIn},
		{"realm not permitted at all", protocol.PermissionDenied, protocol.ActionFatal},
	}
	assert.Len(t, tests, len(protocol.Codes()), "every code has a row")
	for _, tt := range tests {
		t.Run(tt.condition, func(t *testing.T) {
			assert.Equal(t, tt.action, tt.code.Action())
		})
	}
}

// TestRecoveryModeDisabledTurnsEveryResetIntoOneWithoutRecovery checks the
// table's "recovery mode disabled" row.
func TestRecoveryModeDisabledTurnsEveryResetIntoOneWithoutRecovery(t *testing.T) {
	for _, c := range protocol.Codes() {
		a := c.Action()
		switch {
		case a.Reset():
			assert.Equal(t, protocol.ActionClientResetNoRecovery, a.WithoutRecovery(), "%s", c)
		default:
			assert.Equal(t, a, a.WithoutRecovery(), "%s is not a reset and stays as it is", c)
		}
	}
}

func TestCodesAndActionsHaveNames(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range protocol.Codes() {
		assert.True(t, c.Valid())
		assert.True(t, c.Action().Valid(), "%s has an action", c)
		assert.False(t, seen[c.String()], "%s named twice", c)
		seen[c.String()] = true
	}
	assert.Equal(t, "error code 999", protocol.ErrorCode(999).String())
	assert.False(t, protocol.ErrorCode(999).Valid())
	assert.Equal(t, protocol.ActionInvalid, protocol.ErrorCode(999).Action())
	assert.Equal(t, "client reset without recovery", protocol.ActionClientResetNoRecovery.String())
	assert.Equal(t, "action 99", protocol.Action(99).String())
	assert.False(t, protocol.ActionInvalid.Valid())
}
