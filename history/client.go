package history

// WriteID names one local write; unique in a run.
type WriteID uint64

// EffectOp is what one instruction of a write did.
type EffectOp string

// The effects, one per instruction of the write's changeset (schema
// instructions are left out). Judged: the write-accounting oracle looks
// for the effect in the final state. The others only explain why a judged
// effect of another write is not there.
const (
	// EffectSet (judged): Update of scalar or link Field to Value.
	EffectSet EffectOp = ""
	// EffectCreate (judged): CreateObject of Object (Field, Value empty).
	EffectCreate EffectOp = "create"
	// EffectErase (judged): EraseObject of Object.
	EffectErase EffectOp = "erase"
	// EffectAdd: AddInteger on Field; Value is the delta.
	EffectAdd EffectOp = "add"
	// EffectInsert (judged): ArrayInsert of element Value into list Field.
	EffectInsert EffectOp = "insert"
	// EffectSetElement (judged): Update of an element of list Field to Value.
	EffectSetElement EffectOp = "setElement"
	// EffectEraseElement: ArrayErase in list Field.
	EffectEraseElement EffectOp = "eraseElement"
	// EffectMove: ArrayMove in list Field.
	EffectMove EffectOp = "move"
	// EffectClear: Clear of list Field.
	EffectClear EffectOp = "clear"
)

func (op EffectOp) Valid() bool {
	switch op {
	case EffectSet, EffectCreate, EffectErase, EffectAdd, EffectInsert, EffectSetElement, EffectEraseElement, EffectMove, EffectClear:
		return true
	}
	return false
}

// FieldValue is one effect of a write: what one instruction did, in the
// order of the changeset's instructions. Object is ObjectName(class, pk);
// Value is Value.String() of the value written (a link renders as the
// target's ObjectName, and then Link names the target too).
type FieldValue struct {
	Object  string   `json:"object"`
	Field   string   `json:"field"`
	Value   string   `json:"value"`
	Op      EffectOp `json:"op,omitempty"`
	Default bool     `json:"default,omitempty"` // an isDefault Update
	Link    string   `json:"link,omitempty"`    // a link value: the target's ObjectName
}

// Write is one local write transaction and the changeset it produced.
// Changeset names it by the client file ident it is uploaded under (the
// World may fill the ident in once the replica has one) and its client
// version; Timestamp is the changeset's OriginTimestamp (the writing
// client's clock), so (Timestamp, Changeset.File) is its discriminant.
// Call is when the transaction began (what it had seen), Return when it
// committed (durably: local writes always succeed).
type Write struct {
	Client    string       `json:"client"`
	Realm     string       `json:"realm"`
	ID        WriteID      `json:"id"`
	Changeset ChangesetID  `json:"changeset"`
	Timestamp int64        `json:"timestamp"`
	Call      int64        `json:"call"`
	Return    int64        `json:"return"`
	Fields    []FieldValue `json:"fields"`
}

// Read is one local read of a scalar or link field: Value is
// Value.String() of the value as it reads (a link to a missing object
// reads as null: "null"); "" when the object does not exist. A local read
// is instantaneous: Call = Return = when it was made.
//
// The session-guarantees oracle derives what the replica had integrated
// when it read from the rest of the history: the client's own Writes
// committed before it, every changeset of a Download the client received
// before it (the fresh copies of client resets included: every DOWNLOAD
// the client's process receives must be recorded), and the Resets.
type Read struct {
	Client string `json:"client"`
	Realm  string `json:"realm"`
	Object string `json:"object"`
	Field  string `json:"field"`
	Value  string `json:"value"`
	Call   int64  `json:"call"`
	Return int64  `json:"return"`
}

// WaitOutcome is how a wait for upload or download completion ended.
type WaitOutcome string

// The wait outcomes.
const (
	WaitCompleted WaitOutcome = "completed"
	WaitTimedOut  WaitOutcome = "timed out"
	WaitCancelled WaitOutcome = "cancelled"
	WaitFailed    WaitOutcome = "failed"
)

// WaitUpload is a wait for upload completion. Covered: the changesets it
// promised acknowledged (every local changeset committed before Call).
type WaitUpload struct {
	Client  string        `json:"client"`
	Realm   string        `json:"realm"`
	Call    int64         `json:"call"`
	Return  int64         `json:"return"`
	Covered []ChangesetID `json:"covered"`
	Outcome WaitOutcome   `json:"outcome"`
}

// WaitDownload is a wait for download completion. Integrated: every
// changeset present in the replica when it completed, its own and
// downloaded ones.
type WaitDownload struct {
	Client     string        `json:"client"`
	Realm      string        `json:"realm"`
	Call       int64         `json:"call"`
	Return     int64         `json:"return"`
	Integrated []ChangesetID `json:"integrated"`
	Outcome    WaitOutcome   `json:"outcome"`
}
