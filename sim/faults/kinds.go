package faults

// Kinds are the fault kinds' names, as their streams are named, in the
// order Schedule draws them.
func Kinds() []string {
	names := make([]string, len(rateFields))
	for i, f := range rateFields {
		names[i] = f.name
	}
	return names
}

// rateFields maps each kind's name to its rate in Options.
var rateFields = []struct {
	name string
	rate func(o *Options) *float64
}{
	{"offline", func(o *Options) *float64 { return &o.Offline }},
	{"pause", func(o *Options) *float64 { return &o.Pause }},
	{"crash", func(o *Options) *float64 { return &o.ClientCrash }},
	{"server-crash", func(o *Options) *float64 { return &o.ServerCrash }},
	{"drops", func(o *Options) *float64 { return &o.Drops }},
	{"duplicates", func(o *Options) *float64 { return &o.Duplicates }},
	{"clock-step", func(o *Options) *float64 { return &o.ClockStep }},
	{"partition", func(o *Options) *float64 { return &o.Partition }},
	{"oneway", func(o *Options) *float64 { return &o.OneWay }},
	{"isolate", func(o *Options) *float64 { return &o.Isolate }},
	{"clog", func(o *Options) *float64 { return &o.Clog }},
	{"refuse", func(o *Options) *float64 { return &o.Refuse }},
	{"stress", func(o *Options) *float64 { return &o.Stress }},
	{"clock-drift", func(o *Options) *float64 { return &o.ClockDrift }},
	{"backup", func(o *Options) *float64 { return &o.Backup }},
	{"terminate", func(o *Options) *float64 { return &o.Terminate }},
	{"compaction", func(o *Options) *float64 { return &o.Compaction }},
	{"role", func(o *Options) *float64 { return &o.Role }},
	{"recovery", func(o *Options) *float64 { return &o.Recovery }},
	{"long-offline", func(o *Options) *float64 { return &o.LongOffline }},
}

// Rate is a pointer to the rate of the kind named kind in o, or nil if
// there is no such kind.
func (o *Options) Rate(kind string) *float64 {
	for _, f := range rateFields {
		if f.name == kind {
			return f.rate(o)
		}
	}
	return nil
}
