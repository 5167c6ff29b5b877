package client

import "slices"

// Direction is a direction of transfer.
type Direction uint8

// The directions.
const (
	Upload Direction = iota
	Download
)

func (d Direction) String() string {
	if d == Upload {
		return "upload"
	}
	return "download"
}

// ProgressMode says how long a progress notification lasts.
type ProgressMode uint8

// The modes. ReportIndefinitely reports every change until removed;
// ForCurrentlyOutstandingWork reports until the work outstanding when it
// was registered (its transferable bytes then) is transferred, then ends.
const (
	ReportIndefinitely ProgressMode = iota
	ForCurrentlyOutstandingWork
)

// progress is a session's transfer counters and notifications. Upload:
// transferred is the bytes of local changesets the server acknowledged
// since the session began, transferable adds those not yet acknowledged.
// Download: transferred is the bytes of server changesets integrated since
// the session began, transferable adds what the last DOWNLOAD said remains;
// unknown until the first DOWNLOAD.
type progress struct {
	uploaded      uint64
	downloaded    uint64
	downloadable  uint64
	downloadKnown bool
	regs          []*progressReg
}

type progressReg struct {
	token    uint64
	dir      Direction
	mode     ProgressMode
	cb       func(transferred, transferable uint64)
	target   uint64 // ForCurrentlyOutstandingWork: the transferable bytes captured
	captured bool
	last     [2]uint64 // the last report
	reported bool
}

// AddProgressNotification registers cb for progress in direction dir;
// it is called at once if the progress is known, then on every change.
// It returns a token for removal.
func (s *Session) AddProgressNotification(dir Direction, mode ProgressMode, cb func(transferred, transferable uint64)) uint64 {
	s.tokens++
	reg := &progressReg{token: s.tokens, dir: dir, mode: mode, cb: cb}
	s.progress.regs = append(s.progress.regs, reg)
	s.report1(reg)
	return reg.token
}

// RemoveProgressNotification unregisters a progress notification.
func (s *Session) RemoveProgressNotification(token uint64) {
	s.progress.regs = slices.DeleteFunc(s.progress.regs, func(r *progressReg) bool { return r.token == token })
}

// Progress returns the transferred and transferable bytes in direction
// dir, and whether they are known.
func (s *Session) Progress(dir Direction) (transferred, transferable uint64, known bool) {
	p := &s.progress
	if dir == Upload {
		return p.uploaded, p.uploaded + s.r.UnackedBytes(), true
	}
	return p.downloaded, p.downloaded + p.downloadable, p.downloadKnown
}

// notifyProgress reports progress in direction dir to its registrations.
func (s *Session) notifyProgress(dir Direction) {
	for _, reg := range slices.Clone(s.progress.regs) {
		if reg.dir == dir {
			s.report1(reg)
		}
	}
}

// report1 reports the current progress to reg if it changed since its
// last report, and ends a ForCurrentlyOutstandingWork registration once
// its work is transferred.
func (s *Session) report1(reg *progressReg) {
	done, total, known := s.Progress(reg.dir)
	if !known {
		return
	}
	if reg.mode == ForCurrentlyOutstandingWork {
		if !reg.captured {
			reg.target, reg.captured = total, true
		}
		done, total = min(done, reg.target), reg.target
	}
	if reg.reported && reg.last == [2]uint64{done, total} {
		return
	}
	reg.last, reg.reported = [2]uint64{done, total}, true
	if reg.mode == ForCurrentlyOutstandingWork && done >= total {
		s.RemoveProgressNotification(reg.token)
	}
	reg.cb(done, total)
}
