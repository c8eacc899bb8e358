package activation

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

type names map[string]string

func (n names) PersonName(id string) string   { return n[id] }
func (n names) MaskedMobile(id string) string { return "" }

// TestConferenceMembers: joins and leaves of the staff conference line
// (inbound voice events) show per organisation on the tile (a count) and
// in the detail (who, since when), each person once; a leave of another
// call of the same person keeps them in; timeline lines in German and
// English; a snapshot and a replay keep the list.
func TestConferenceMembers(t *testing.T) {
	h := newHarness(t, false)
	conf := func(person, call, org, outcome string) []Event {
		return h.input(Input{Incident: "K1", Inbound: &Inbound{Channel: SourceVoice, From: "+49151****0001", Person: person,
			ProviderID: call, Org: org, Outcome: outcome}})
	}
	conf("lead1", "CA1", "MI", OutcomeConferenceJoin)
	h.now = h.now.Add(time.Minute)
	evs := conf("it1", "CA2", "MI", OutcomeConferenceJoin)
	if got := h.c.OrgsTouched(evs[0]); !slices.Equal(got, []string{"MI"}) {
		t.Fatalf("a join touches %v, want the tile of MI", got)
	}
	conf("it1", "CA3", "MI", OutcomeConferenceJoin)    // the same person, a second call
	conf("lead1", "CA9", "MI", OutcomeConferenceLeave) // a call that never joined
	conf("lead1", "CA1", "MF", OutcomeConferenceJoin)  // an organisation not in the incident
	conf("it1", "CA2", "MI", OutcomeConferenceLeave)   // one of two calls left
	want := []ConferenceMember{{Person: "lead1", Name: "Uwe Böhm", Since: t0}, {Person: "it1", Name: "Ida Tal", Since: t0.Add(time.Minute)}}
	cases := []struct {
		name string
		c    func() *Core
	}{
		{"live", func() *Core { return h.c }},
		{"replayed", func() *Core { return replayed(t, h.events) }},
		{"restored", func() *Core {
			c, err := RestoreSnapshot(h.c.AppendSnapshot(nil))
			if err != nil {
				t.Fatal(err)
			}
			return c
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c()
			d, _ := c.Detail("K1", "MI", names{"lead1": "Uwe Böhm", "it1": "Ida Tal"})
			if !reflect.DeepEqual(d.Conference, want) || d.Readiness.InConference != 2 {
				t.Fatalf("conference %+v (tile %d), want %+v", d.Conference, d.Readiness.InConference, want)
			}
			var lines []string
			for _, it := range d.Timeline {
				if it.Kind == KindInbound {
					lines = append(lines, it.Summary+" | "+it.SummaryEN)
				}
			}
			wantLines := []string{
				"Stabskonferenz: lead1 hat sich eingewählt | Staff call: lead1 joined",
				"Stabskonferenz: it1 hat sich eingewählt | Staff call: it1 joined",
				"Stabskonferenz: it1 hat sich eingewählt | Staff call: it1 joined",
				"Stabskonferenz: lead1 hat aufgelegt | Staff call: lead1 left",
				"Stabskonferenz: it1 hat aufgelegt | Staff call: it1 left",
			}
			if !slices.Equal(lines, wantLines) {
				t.Fatalf("timeline:\n%q\nwant\n%q", lines, wantLines)
			}
		})
	}
	conf("it1", "CA3", "MI", OutcomeConferenceLeave)
	conf("lead1", "CA1", "MI", OutcomeConferenceLeave)
	if m := h.c.Conference("K1", "MI"); len(m) != 0 {
		t.Fatalf("after every leave: %+v", m)
	}
	if r, _ := h.c.Readiness("K1", "MI"); r.InConference != 0 {
		t.Fatalf("tile counts %d after every leave", r.InConference)
	}
}
