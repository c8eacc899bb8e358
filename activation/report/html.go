package report

import (
	"fmt"
	"html/template"
	"io"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// pageCSS is shared by the report and the history page. Print rules keep
// tables and charts from splitting and drop the screen margins.
const pageCSS = `
*{box-sizing:border-box}
body{font-family:"Segoe UI",Arial,Helvetica,sans-serif;color:#1a1a1a;margin:2rem auto;max-width:1100px;padding:0 1rem;line-height:1.4}
h1{font-size:1.6rem;margin:.5rem 0}h2{font-size:1.25rem;border-bottom:2px solid #1a1a1a;padding-bottom:.2rem;margin-top:2rem}h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
.banner{background:#ffd400;color:#000;border:4px solid #000;font-weight:800;font-size:1.8rem;letter-spacing:.3em;text-align:center;padding:.4rem;margin:.5rem 0}
.real{border:2px solid #8a1c1c;color:#8a1c1c;font-weight:700;text-align:center;padding:.3rem;margin:.5rem 0}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #999;padding:.25rem .45rem;text-align:left;vertical-align:top;overflow-wrap:anywhere;hyphens:auto}
table.wide{font-size:.78rem}
thead th{background:#eee}
table.facts th{width:40%;background:#f6f6f6;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
td.bad{font-weight:700;color:#8a1c1c}td.good{color:#2f6f3e;font-weight:600}
.verdict{font-size:1.1rem;padding:.5rem .7rem;border:2px solid}
.verdict.met{border-color:#2f6f3e}.verdict.missed{border-color:#8a1c1c}
.chart{max-width:100%;height:auto;display:block}
.note{font-size:.85rem;color:#444}
footer{margin-top:2rem;font-size:.8rem;color:#444;border-top:1px solid #999;padding-top:.4rem}
@media print{
 @page{size:A4;margin:15mm}
 body{margin:0;max-width:none;font-size:10pt}
 .banner{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 h2{break-after:avoid}
 table,.chart,article,.verdict{break-inside:avoid}
 thead{display:table-header-group}
}
`

const pageTemplates = `
{{define "table"}}<table{{if .Class}} class="{{.Class}}"{{end}}>{{if .Head}}<thead><tr>{{range .Head}}<th scope="col">{{.}}</th>{{end}}</tr></thead>{{end}}<tbody>
{{range .Rows}}<tr>{{range .}}{{if .Header}}<th scope="row">{{.Text}}</th>{{else}}<td{{if .Class}} class="{{.Class}}"{{end}}>{{if .Lines}}{{range $i, $l := .Lines}}{{if $i}}<br>{{end}}{{$l}}{{end}}{{else}}{{.Text}}{{end}}</td>{{end}}{{end}}</tr>
{{end}}</tbody></table>{{end}}

{{define "report"}}<!DOCTYPE html>
<html lang="{{.L.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Exercise}}ÜBUNG – {{end}}{{.Title}} {{.R.Incident}}</title>
<style>{{.CSS}}</style>
</head>
<body>
{{if .Exercise}}<div class="banner" role="note">{{.L.Banner}}</div>{{else}}<div class="real">{{.L.Real}}</div>{{end}}
<header>
<h1>{{.Title}}: {{.R.Title}}</h1>
{{template "table" .Head}}
</header>
<section>
<h2>{{.L.KeyFigures}}</h2>
<p class="verdict {{if .R.Verdict.Met}}met{{else}}missed{{end}}"><strong>{{.L.Verdict}}:</strong> {{.VerdictText}}: <strong>{{.VerdictAnswer}}</strong></p>
{{template "table" .Key}}
</section>
<section>
<h2>{{.L.ChartReady}}</h2>
{{.ChartReady}}
</section>
<section>
<h2>{{.L.ChartAnswers}}</h2>
{{.ChartAnswers}}
</section>
<section>
<h2>{{.L.Orgs}}</h2>
{{template "table" .OrgSummary}}
{{range .Orgs}}<article>
<h3>{{.Title}}</h3>
{{template "table" .Facts}}
{{template "table" .Functions}}
{{if .Exhausted}}<p><strong>{{$.L.Exhausted}}:</strong> {{range $i, $e := .Exhausted}}{{if $i}}, {{end}}{{$e}}{{end}}</p>{{end}}
</article>{{end}}
</section>
<section>
<h2>{{.L.Channels}}</h2>
{{template "table" .Channels}}
<h3>{{.L.Sources}}</h3>
{{template "table" .Sources}}
<h3>{{.L.Kinds}}</h3>
{{template "table" .Kinds}}
</section>
<section>
<h2>{{.L.Timeline}}</h2>
{{template "table" .Timeline}}
</section>
<section>
<h2>{{.L.Late}}</h2>
{{if .Late.Rows}}{{template "table" .Late}}{{else}}<p>{{.L.LateNone}}</p>{{end}}
</section>
<section>
<h2>{{.L.Definitions}}</h2>
<p class="note">{{.L.DefinitionsText}}</p>
</section>
<footer>{{.L.Generated}}: {{.Generated}}. {{.L.Zone}} Kaskade, {{.R.Incident}}.</footer>
{{if .Exercise}}<div class="banner" role="note">{{.L.Banner}}</div>{{end}}
</body>
</html>
{{end}}

{{define "history"}}<!DOCTYPE html>
<html lang="{{.L.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.L.HistoryTitle}}</title>
<style>{{.CSS}}</style>
</head>
<body>
<header><h1>{{.L.HistoryTitle}}</h1></header>
<section>
<h2>{{.L.HistoryExercises}}</h2>
{{if .Exercises.Rows}}{{template "table" .Exercises}}{{else}}<p>{{.L.HistoryNone}}</p>{{end}}
</section>
<section>
<h2>{{.L.Gaps}}</h2>
<p class="note">{{.L.GapsText}}</p>
{{if .Empty}}<p>{{.L.GapsNone}}</p>{{else}}
<h3>{{.L.Trees}}</h3>{{template "table" .Trees}}
<h3>{{.L.Functions}}</h3>{{template "table" .Functions}}
<h3>{{.L.People}}</h3>{{template "table" .People}}
{{end}}
</section>
<footer>{{.L.Generated}}: {{.Generated}}. {{.L.Zone}}</footer>
</body>
</html>
{{end}}
`

// pages holds the parsed templates; a template is the one kind of global this package keeps.
var pages = template.Must(template.New("pages").Parse(pageTemplates))

// cell is one table cell; Lines are shown one per line.
type cell struct {
	Text   string
	Lines  []string
	Class  string
	Header bool
}

type table struct {
	Class string
	Head  []string
	Rows  [][]cell
}

func txt(s string) cell { return cell{Text: s} }
func n(i int) cell      { return cell{Text: strconv.Itoa(i), Class: "num"} }
func th(s string) cell  { return cell{Text: s, Header: true} }

func (l labels) flag(ok bool) cell {
	if ok {
		return cell{Text: l.Yes, Class: "good"}
	}
	return cell{Text: l.No, Class: "bad"}
}

func facts(rows ...[2]string) table {
	t := table{Class: "facts"}
	for _, r := range rows {
		t.Rows = append(t.Rows, []cell{th(r[0]), txt(r[1])})
	}
	return t
}

type reportPage struct {
	L                        labels
	CSS                      template.CSS
	Title                    string
	Exercise                 bool
	R                        *Report
	Head, Key                table
	VerdictText              string
	VerdictAnswer            string
	ChartReady, ChartAnswers template.HTML
	OrgSummary               table
	Orgs                     []orgSection
	Channels, Sources, Kinds table
	Timeline, Late           table
	Generated                string
}

type orgSection struct {
	Title            string
	Facts, Functions table
	Exhausted        []string
}

func berlin() (*time.Location, error) {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		// Wrong local times in an after-action report would be worse than none.
		return nil, fmt.Errorf("report: time zone Europe/Berlin: %w (embed time/tzdata)", err)
	}
	return loc, nil
}

// WriteHTML writes the report as one self-contained, printable HTML page
// (no scripts, no external assets; charts as inline SVG). lang is "de"
// (default) or "en". Exercises carry an unmistakable ÜBUNG banner.
func (r *Report) WriteHTML(w io.Writer, lang string) error {
	loc, err := berlin()
	if err != nil {
		return err
	}
	l := texts(lang)
	p := reportPage{L: l, CSS: template.CSS(pageCSS), Exercise: r.Exercise, R: r, Title: l.IncidentTitle,
		Generated: l.when(r.GeneratedAt, loc)}
	if r.Exercise {
		p.Title = l.ExerciseTitle
	}
	scenario := r.ScenarioName.DE
	if l.Lang == "en" && r.ScenarioName.EN != "" || scenario == "" {
		scenario = r.ScenarioName.EN
	}
	if scenario == "" {
		scenario = r.Scenario
	}
	stood := l.Open
	if r.StoodDownAt != nil {
		stood = l.when(*r.StoodDownAt, loc)
	}
	declared := [][2]string{{l.DeclaredBy, r.DeclaredBy}}
	if pb := r.ProposedBy; pb != nil {
		declared = [][2]string{{l.ProposedBy, fmt.Sprintf("%s (%s, %s %s; %s %s)", pb.By, pb.Source, l.Message, pb.SourceID, l.Proposal, pb.Proposal)},
			{l.ConfirmedBy, r.DeclaredBy}}
	}
	p.Head = facts(append(append([][2]string{
		{l.Incident, r.Incident},
		{l.Scenario, scenario},
		{l.Severity, l.severity(r.Severity)},
		{l.DeclaredAt, l.when(r.DeclaredAt, loc)},
	}, declared...),
		[2]string{l.Reason, r.Reason},
		[2]string{l.StoodDown, stood},
	)...)
	if r.StoodDownBy != "" {
		p.Head.Rows = append(p.Head.Rows, []cell{th(l.StoodDownBy), txt(r.StoodDownBy + reasonSuffix(r.StandDownReason))})
	}
	if r.ConvertedAt != nil {
		p.Head.Rows = append(p.Head.Rows, []cell{th(l.Converted), txt(l.when(*r.ConvertedAt, loc) + ", " + r.ConvertedBy + reasonSuffix(r.ConversionReason))})
	}
	quorum := l.dur(r.Times.ToQuorum)
	if r.Times.ToQuorum == nil {
		quorum = l.Never
	}
	pf := r.People
	p.Key = facts(
		[2]string{l.FirstAlert, l.dur(r.Times.ToFirstAlert)},
		[2]string{l.FirstAnswer, l.dur(r.Times.ToFirstAnswer)},
		[2]string{l.Quorum, quorum},
		[2]string{l.PeopleInPlan, strconv.Itoa(pf.InPlan)},
		[2]string{l.Alerted, strconv.Itoa(pf.Alerted)},
		[2]string{l.ReachRate, l.rate(pf.Reached, pf.Alerted)},
		[2]string{l.RespRate, l.rate(pf.Answered, pf.Alerted)},
		[2]string{l.DeputiesAlerted, strconv.Itoa(pf.DeputiesAlerted)},
		[2]string{l.DeputiesCovered, fmt.Sprintf("%d", len(pf.DeputiesCovering))},
	)
	p.VerdictText, p.VerdictAnswer = l.VerdictEach, l.yesNo(r.Verdict.Met)
	if r.Verdict.Target != nil {
		p.VerdictText = fmt.Sprintf(l.VerdictCommon, l.minutes(*r.Verdict.Target))
	}
	p.ChartReady = template.HTML(readinessChart(r, l)) // #nosec: built from escaped text only
	p.ChartAnswers = template.HTML(answersChart(r, l)) // #nosec: built from escaped text only
	p.orgTables(r, l, loc)
	p.channelTables(r, l)
	p.timelineTables(r, l, loc)
	return pages.ExecuteTemplate(w, "report", p)
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return " – " + reason
}

func orgName(l labels, names activation.Names, id string) string {
	name := names.DE
	if l.Lang == "en" && names.EN != "" || name == "" {
		name = names.EN
	}
	if name == "" {
		return id
	}
	return name + " (" + id + ")"
}

func (p *reportPage) orgTables(r *Report, l labels, loc *time.Location) {
	p.OrgSummary = table{Class: "wide", Head: []string{l.Org, l.Target, l.TimeToReady, l.WithinTarget, l.FinalState, l.Alerted,
		l.ReachRate, l.RespRate, l.DeputiesAlerted, l.DeputiesCovered}}
	for _, o := range r.Organisations {
		ready := cell{Text: l.dur(o.TimeToReady), Class: "num"}
		if o.TimeToReady == nil {
			ready = cell{Text: l.NotReady, Class: "bad"}
		}
		pf := o.People
		p.OrgSummary.Rows = append(p.OrgSummary.Rows, []cell{txt(o.Org), {Text: l.dur(&o.Target), Class: "num"}, ready,
			l.flag(o.ReadyWithinTarget), txt(l.state(o.FinalState)), n(pf.Alerted), txt(l.rate(pf.Reached, pf.Alerted)),
			txt(l.rate(pf.Answered, pf.Alerted)), n(pf.DeputiesAlerted), n(len(pf.DeputiesCovering))})

		sec := orgSection{Title: orgName(l, o.Name, o.Org)}
		readyAt := l.NotReady
		if o.ReadyAt != nil {
			readyAt = l.when(*o.ReadyAt, loc) + " (" + l.dur(o.TimeToReady) + ")"
		}
		var required []string
		for _, f := range slices.Sorted(maps.Keys(o.Required)) {
			required = append(required, fmt.Sprintf("%s × %d", f, o.Required[f]))
		}
		sec.Facts = facts(
			[2]string{l.Tree, o.Tree},
			[2]string{l.Functions + " (" + l.RequiredN + ")", joinOr(required, l.NotYet)},
			[2]string{l.Target, l.dur(&o.Target)},
			[2]string{l.TimeToReady, readyAt},
			[2]string{l.WithinTarget, l.yesNo(o.ReadyWithinTarget)},
			[2]string{l.FinalState, l.state(o.FinalState)},
			[2]string{l.PeopleInPlan, strconv.Itoa(pf.InPlan)},
			[2]string{l.Alerted + " / " + l.Reached + " / " + l.Answered, fmt.Sprintf("%d / %d / %d", pf.Alerted, pf.Reached, pf.Answered)},
			[2]string{l.ReachRate, l.rate(pf.Reached, pf.Alerted)},
			[2]string{l.RespRate, l.rate(pf.Answered, pf.Alerted)},
			[2]string{l.DeputiesAlerted, strconv.Itoa(pf.DeputiesAlerted)},
			[2]string{l.DeputiesCovered, joinOr(pf.DeputiesCovering, l.NotYet)},
			[2]string{l.Failed + " / " + l.Unknown, fmt.Sprintf("%d / %d", o.DeliveriesFailed, o.DeliveriesUnknown)},
		)
		sec.Functions = table{Head: []string{l.Function, l.RequiredN, l.AvailableN, l.CoveredBy, l.FirstAvailable, l.CoveredAfter}}
		for _, f := range o.Functions {
			by := txt(l.coveredBy(f.CoveredBy))
			if f.CoveredBy == ByNone && f.Required > 0 {
				by.Class = "bad"
			}
			first := l.dur(f.TimeToFirstAvailable)
			if f.FirstAvailableBy != "" {
				first += " (" + f.FirstAvailableBy + ")"
			}
			sec.Functions.Rows = append(sec.Functions.Rows, []cell{txt(f.Function), n(f.Required), n(f.Available), by, txt(first),
				{Text: l.dur(f.TimeToCovered), Class: "num"}})
		}
		for _, x := range o.Exhausted {
			sec.Exhausted = append(sec.Exhausted, fmt.Sprintf("%s (#%d, %s)", x.Function, x.Node, l.when(x.At, loc)))
		}
		p.Orgs = append(p.Orgs, sec)
	}
}

func joinOr(s []string, empty string) string {
	if len(s) == 0 {
		return empty
	}
	out := s[0]
	for _, v := range s[1:] {
		out += ", " + v
	}
	return out
}

func (p *reportPage) channelTables(r *Report, l labels) {
	p.Channels = table{Head: []string{l.Channel, l.Requested, l.Alerts, l.Pending, l.Sent, l.Delivered, l.Failed, l.Machine, l.Unknown, l.ChannelAnswers}}
	for _, c := range r.Channels {
		p.Channels.Rows = append(p.Channels.Rows, []cell{txt(l.channel(c.Channel)), n(c.Requested), n(c.Alerts), n(c.Pending),
			n(c.Sent), n(c.Delivered), n(c.Failed), n(c.Machine), n(c.Unknown), n(c.Answers)})
	}
	p.Sources = table{Head: []string{l.Source, l.Count}}
	for _, s := range slices.Sorted(maps.Keys(r.ResponsesBySource)) {
		p.Sources.Rows = append(p.Sources.Rows, []cell{txt(l.channel(s)), n(r.ResponsesBySource[s])})
	}
	p.Kinds = table{Head: []string{l.Kind, l.Count}}
	for _, k := range []activation.ResponseKind{activation.Available, activation.Delayed, activation.Unavailable} {
		p.Kinds.Rows = append(p.Kinds.Rows, []cell{txt(l.kind(k, 0)), n(r.AnswersByKind[k])})
	}
}

func (p *reportPage) timelineTables(r *Report, l labels, loc *time.Location) {
	p.Timeline = table{Class: "wide", Head: []string{l.Person, l.Org, l.Function, l.Role, l.AlertedAt, l.Notes, l.Answer, l.AnsweredAt, l.ResponseTime, l.ETA}}
	for _, e := range r.Timeline {
		var notes []string
		for _, nt := range e.Notifications {
			s := fmt.Sprintf("%s %s %s: %s", nt.At.In(loc).Format("15:04:05"), l.channel(nt.Channel), l.purpose(nt.Purpose), l.delivery(nt.State))
			if nt.Code != "" {
				s += " (" + nt.Code + ")"
			}
			notes = append(notes, s)
		}
		if len(notes) == 0 {
			notes = []string{l.NotYet}
		}
		answer := txt(l.NotYet)
		if e.Answer != "" {
			answer = txt(l.kind(e.Answer, e.AnswerMinutes))
			if e.AnswerRemark != "" {
				answer = txt(l.kind(e.Answer, e.AnswerMinutes) + " – „" + e.AnswerRemark + "“")
			}
			if len(e.Answers) > 1 {
				var all []string
				for _, a := range e.Answers {
					s := a.At.In(loc).Format("15:04:05") + " " + l.kind(a.Kind, a.Minutes)
					if a.Remark != "" {
						s += " – „" + a.Remark + "“"
					}
					if a.AfterStandDown {
						s += " (" + l.AfterStandDown + ")"
					}
					all = append(all, s)
				}
				answer = cell{Lines: all}
			}
		}
		role := l.role(e.Tier)
		if e.CoveredAsDeputy {
			role += " – " + l.Covering
		}
		person := e.Name
		if e.Name != e.Person {
			person += " (" + e.Person + ")"
		}
		p.Timeline.Rows = append(p.Timeline.Rows, []cell{txt(person), txt(e.Org), txt(e.Function), txt(role),
			txt(l.clock(e.AlertedAt, loc)), {Lines: notes}, answer, txt(l.clock(e.FirstAnswerAt, loc)),
			{Text: l.dur(e.ResponseTime), Class: "num"}, txt(l.clock(e.ETA, loc))})
	}
	p.Late = table{Head: []string{l.Person, l.AnsweredAt, l.Answer, l.Source}}
	for _, a := range r.LateAnswers {
		p.Late.Rows = append(p.Late.Rows, []cell{txt(a.Name), txt(l.when(a.At, loc)), txt(l.kind(a.Kind, a.Minutes)), txt(l.channel(a.Source))})
	}
}
