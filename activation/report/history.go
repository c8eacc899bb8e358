package report

import (
	"cmp"
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// HistoryPlan describes one organisation's current call tree configuration.
type HistoryPlan struct {
	Org  string
	Tree string
	// Functions maps a function to its people, primary first, then deputies.
	Functions map[string][]string
}

// HistoryView is the exercise history and what has not been exercised lately.
type HistoryView struct {
	Now time.Time `json:"now"`
	// Since is the start of the window (Now minus 12 months).
	Since     time.Time      `json:"since"`
	Exercises []HistoryEntry `json:"exercises"`
	// Trees, Functions and People list what the current configuration has
	// that was not exercised within the window.
	Trees     []TreeGap     `json:"trees_not_exercised"`
	Functions []FunctionGap `json:"functions_not_exercised"`
	People    []PersonGap   `json:"people_not_exercised"`
}

// HistoryEntry is one past exercise with its key figures.
type HistoryEntry struct {
	Incident          string    `json:"incident"`
	Title             string    `json:"title"`
	Date              time.Time `json:"date"`
	Scenario          string    `json:"scenario"`
	Orgs              []string  `json:"organisations"`
	TimeToFirstAnswer *Span     `json:"time_to_first_answer,omitempty"`
	OrgsWithinTarget  int       `json:"orgs_within_target"`
	// ShareWithinTarget is OrgsWithinTarget/len(Orgs).
	ShareWithinTarget float64 `json:"share_within_target"`
	ResponseRate      float64 `json:"response_rate"`
	Answered          int     `json:"answered"`
	Alerted           int     `json:"alerted"`
	Met               bool    `json:"met"`
}

// TreeGap is a call tree not activated in an exercise within the window.
type TreeGap struct {
	Org  string `json:"org"`
	Tree string `json:"tree"`
	// LastExercised is the latest exercise ever that activated it (nil: never).
	LastExercised *time.Time `json:"last_exercised,omitempty"`
}

// FunctionGap is a function nobody answered "available" for in an exercise within the window.
type FunctionGap struct {
	Org           string     `json:"org"`
	Function      string     `json:"function"`
	LastExercised *time.Time `json:"last_exercised,omitempty"`
}

// PersonGap is a person (primary or deputy) not alerted in an exercise within the window.
type PersonGap struct {
	Org      string `json:"org"`
	Function string `json:"function"`
	Person   string `json:"person"`
	Name     string `json:"name"`
	// Tier is 0 for the primary, n for the n-th deputy.
	Tier          int        `json:"tier"`
	LastExercised *time.Time `json:"last_exercised,omitempty"`
}

// History lists past exercises (newest first) and, for the current plans,
// what has not been exercised in the 12 months before now. Only exercises
// count: a tree is exercised when it was activated, a function (per
// organisation) when someone answered "available" for it before the
// stand-down, a person when they were alerted. Real incidents and reports
// dated after now are ignored.
func History(reports []*Report, plans []HistoryPlan, now time.Time) HistoryView {
	h := HistoryView{Now: now, Since: now.AddDate(-1, 0, 0), Exercises: []HistoryEntry{},
		Trees: []TreeGap{}, Functions: []FunctionGap{}, People: []PersonGap{}}
	lastTree := map[string]time.Time{}
	lastFunc := map[[2]string]time.Time{}
	lastPerson := map[string]time.Time{}
	// lastPlace counts alerts of people whose data was erased or retained
	// (activation.IsErased) for their place: org, function, tier.
	lastPlace := map[[3]string]time.Time{}
	names := map[string]string{}
	later := func(m map[string]time.Time, k string, t time.Time) {
		if t.After(m[k]) {
			m[k] = t
		}
	}
	for _, r := range reports {
		// A converted exercise ran as one until its conversion: it stays in the history.
		if r == nil || !r.Exercise && r.ConvertedAt == nil || r.DeclaredAt.After(now) {
			continue
		}
		at := r.DeclaredAt
		e := HistoryEntry{Incident: r.Incident, Title: r.Title, Date: at, Scenario: r.Scenario, Orgs: []string{},
			TimeToFirstAnswer: r.Times.ToFirstAnswer, ResponseRate: r.People.ResponseRate,
			Answered: r.People.Answered, Alerted: r.People.Alerted, Met: r.Verdict.Met}
		for _, o := range r.Organisations {
			e.Orgs = append(e.Orgs, o.Org)
			if o.ReadyWithinTarget {
				e.OrgsWithinTarget++
			}
			later(lastTree, o.Tree, at)
		}
		e.ShareWithinTarget = ratio(e.OrgsWithinTarget, len(e.Orgs))
		h.Exercises = append(h.Exercises, e)
		for _, p := range r.Timeline {
			names[p.Person] = p.Name
			if p.Alerted && activation.IsErased(p.Person) {
				if k := place(p.Org, p.Function, p.Tier); at.After(lastPlace[k]) {
					lastPlace[k] = at
				}
			} else if p.Alerted {
				later(lastPerson, p.Person, at)
			}
			for _, a := range p.Answers {
				if !a.AfterStandDown && a.Kind == "available" {
					if k := [2]string{p.Org, p.Function}; at.After(lastFunc[k]) {
						lastFunc[k] = at
					}
				}
			}
		}
	}
	slices.SortStableFunc(h.Exercises, func(a, b HistoryEntry) int { return b.Date.Compare(a.Date) })

	stale := func(t time.Time) bool { return !t.After(h.Since) }
	for _, p := range plans {
		if t := lastTree[p.Tree]; stale(t) {
			h.Trees = append(h.Trees, TreeGap{Org: p.Org, Tree: p.Tree, LastExercised: timePtr(t)})
		}
		for _, f := range slices.Sorted(maps.Keys(p.Functions)) {
			if t := lastFunc[[2]string{p.Org, f}]; stale(t) {
				h.Functions = append(h.Functions, FunctionGap{Org: p.Org, Function: f, LastExercised: timePtr(t)})
			}
			for tier, person := range p.Functions[f] {
				t := lastPerson[person]
				if tp := lastPlace[place(p.Org, f, tier)]; tp.After(t) {
					t = tp // the exercise's people are gone; their places remain
				}
				if stale(t) {
					name := cmp.Or(names[person], person)
					h.People = append(h.People, PersonGap{Org: p.Org, Function: f, Person: person, Name: name, Tier: tier, LastExercised: timePtr(t)})
				}
			}
		}
	}
	return h
}

func place(org, function string, tier int) [3]string {
	return [3]string{org, function, strconv.Itoa(tier)}
}

type historyPage struct {
	L                                   labels
	CSS                                 template.CSS
	Exercises, Trees, Functions, People table
	Empty                               bool
	Generated                           string
}

// WriteHistoryHTML writes the exercise history as a printable HTML page.
func WriteHistoryHTML(w io.Writer, h HistoryView, lang string) error {
	loc, err := berlin()
	if err != nil {
		return err
	}
	l := texts(lang)
	p := historyPage{L: l, CSS: template.CSS(pageCSS), Generated: l.when(h.Now, loc),
		Empty: len(h.Trees)+len(h.Functions)+len(h.People) == 0}
	day := func(t time.Time) string {
		if l.Lang == "en" {
			return t.In(loc).Format("2006-01-02")
		}
		return t.In(loc).Format("02.01.2006")
	}
	last := func(t *time.Time) string {
		if t == nil {
			return l.NeverExercised
		}
		return day(*t)
	}
	p.Exercises = table{Head: []string{l.Date, l.Incident, l.Scenario, l.Orgs, l.FirstAnswer, l.ShareInTime, l.RespRate, l.Verdict}}
	for _, e := range h.Exercises {
		p.Exercises.Rows = append(p.Exercises.Rows, []cell{txt(day(e.Date)), txt(e.Incident + " – " + e.Title), txt(e.Scenario),
			txt(joinOr(e.Orgs, l.NotYet)), {Text: l.dur(e.TimeToFirstAnswer), Class: "num"},
			txt(l.rate(e.OrgsWithinTarget, len(e.Orgs))), txt(l.rate(e.Answered, e.Alerted)), l.flag(e.Met)})
	}
	p.Trees = table{Head: []string{l.Org, l.Tree, l.LastExercised}}
	for _, g := range h.Trees {
		p.Trees.Rows = append(p.Trees.Rows, []cell{txt(g.Org), txt(g.Tree), txt(last(g.LastExercised))})
	}
	p.Functions = table{Head: []string{l.Org, l.Function, l.LastExercised}}
	for _, g := range h.Functions {
		p.Functions.Rows = append(p.Functions.Rows, []cell{txt(g.Org), txt(g.Function), txt(last(g.LastExercised))})
	}
	p.People = table{Head: []string{l.Person, l.Org, l.Function, l.Role, l.LastExercised}}
	for _, g := range h.People {
		person := g.Name
		if g.Name != g.Person {
			person += " (" + g.Person + ")"
		}
		p.People.Rows = append(p.People.Rows, []cell{txt(person), txt(g.Org), txt(g.Function), txt(l.role(g.Tier)), txt(last(g.LastExercised))})
	}
	if err := pages.ExecuteTemplate(w, "history", p); err != nil {
		return fmt.Errorf("report: history page: %w", err)
	}
	return nil
}
