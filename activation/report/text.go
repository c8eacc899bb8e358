package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// labels are the texts of the printed pages in one language. They are built
// by a function rather than kept in a global map so each page owns its copy.
type labels struct {
	Lang                                                           string
	ExerciseTitle, IncidentTitle, Banner, Real                     string
	Incident, Scenario, Severity, DeclaredAt, DeclaredBy, Reason   string
	ConfirmedBy, ProposedBy, Proposal, Message                     string
	StoodDown, StoodDownBy, Open, Generated, Zone                  string
	KeyFigures, FirstAlert, FirstAnswer, Quorum, Never, NotYet     string
	PeopleInPlan, Alerted, Reached, Answered, ReachRate, RespRate  string
	DeputiesAlerted, DeputiesCovered, Verdict, Yes, No             string
	VerdictCommon, VerdictEach                                     string
	Orgs, Org, Target, TimeToReady, WithinTarget, FinalState       string
	Failed, Unknown, Exhausted, Functions, Function, RequiredN     string
	AvailableN, CoveredBy, FirstAvailable                          string
	Channels, Channel, Requested, Alerts, Pending, Sent, Delivered string
	Sources, Source, Kinds, Kind, Count                            string
	Machine, ChannelAnswers                                        string
	Timeline, Person, Role, AlertedAt, Notes, Answer, AnsweredAt   string
	ResponseTime, ETA, Late, LateNone                              string
	ChartReady, ChartAnswers, Minutes, NotReady, SeriesAnswered    string
	SeriesAvailable, TargetLine, Definitions, DefinitionsText      string
	HistoryTitle, HistoryExercises, HistoryNone, Date, ShareInTime string
	Gaps, GapsText, Trees, Tree, LastExercised, NeverExercised     string
	People, GapsNone, OverTarget, AfterStandDown, Covering         string
	Converted, CoveredAfter                                        string
}

func texts(lang string) labels {
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		return labels{
			Lang: "en", ExerciseTitle: "After-action report (exercise)", IncidentTitle: "After-action report",
			Banner: "ÜBUNG · EXERCISE · ÜBUNG · EXERCISE", Real: "Real incident — not an exercise",
			Incident: "Incident", Scenario: "Scenario", Severity: "Severity", DeclaredAt: "Declared at",
			DeclaredBy: "Declared by", Reason: "Reason", ConfirmedBy: "Confirmed and declared by",
			ProposedBy: "Proposed by (warning)", Proposal: "proposal", Message: "message", StoodDown: "Stood down at", StoodDownBy: "Stood down by",
			Open: "not stood down (open)", Generated: "Report generated", Zone: "Times in Europe/Berlin.",
			KeyFigures: "Key figures", FirstAlert: "Time to first alert", FirstAnswer: "Time to first answer",
			Quorum: "Time until all organisations were ready", Never: "never", NotYet: "—",
			PeopleInPlan: "People in plans", Alerted: "Alerted", Reached: "Reached", Answered: "Answered",
			ReachRate: "Reachability rate", RespRate: "Response rate", DeputiesAlerted: "Deputies alerted",
			DeputiesCovered: "Deputies covering a function", Verdict: "Result", Yes: "yes", No: "no",
			VerdictCommon: "All required functions acknowledged within %s", VerdictEach: "All required functions acknowledged within each organisation's target",
			Orgs: "Organisations", Org: "Organisation", Target: "Target", TimeToReady: "Ready after",
			WithinTarget: "Within target", FinalState: "Final state", Failed: "Failed", Unknown: "Unknown",
			Exhausted: "Exhausted call tree nodes", Functions: "Functions", Function: "Function",
			RequiredN: "Required", AvailableN: "Available", CoveredBy: "Covered by", FirstAvailable: "First “available” after",
			Channels: "Channels", Channel: "Channel", Requested: "Requested", Alerts: "Alerts", Pending: "Pending",
			Sent: "Sent", Delivered: "Delivered", Sources: "Answers by source", Source: "Source",
			Machine: "Answering machine", ChannelAnswers: "Answers",
			Kinds: "Answers by kind (latest answer per person)", Kind: "Answer", Count: "Count",
			Timeline: "Per-person timeline", Person: "Person", Role: "Role", AlertedAt: "Alerted at",
			Notes: "Notifications", Answer: "Answer", AnsweredAt: "First answer", ResponseTime: "Response time",
			ETA: "ETA", Late: "Answers after the stand-down (not counted)", LateNone: "none",
			ChartReady: "Time to readiness per organisation", ChartAnswers: "Answers over time",
			Minutes: "minutes since declaration", NotReady: "not ready", SeriesAnswered: "answered (cumulative)",
			SeriesAvailable: "available (“komme”)", TargetLine: "target", Definitions: "Definitions",
			DefinitionsText: "Reached: at least one alert was sent or delivered, or the person answered. " +
				"Answered: at least one answer before the stand-down (“delayed” and “unavailable” count). " +
				"A function is covered by a deputy when the primaries alone do not reach its minimum. " +
				"Answers after the stand-down count toward no figure. Rates refer to the people alerted.",
			HistoryTitle: "Exercise history", HistoryExercises: "Past exercises", HistoryNone: "No exercises recorded.",
			Date: "Date", ShareInTime: "Organisations ready within target",
			Gaps: "Not exercised in the last 12 months", GapsText: "A call tree counts as exercised when it was activated in an exercise, a function when someone answered “available” for it, a person when they were alerted.",
			Trees: "Call trees", Tree: "Call tree", LastExercised: "Last exercised", NeverExercised: "never",
			People: "People", GapsNone: "Everything was exercised.", OverTarget: "over target", AfterStandDown: "after stand-down", Covering: "covered the function",
			Converted: "Exercise converted into a real incident", CoveredAfter: "Covered after",
		}
	}
	return labels{
		Lang: "de", ExerciseTitle: "Übungsbericht", IncidentTitle: "Einsatzbericht",
		Banner: "ÜBUNG · ÜBUNG · ÜBUNG", Real: "Echtereignis – keine Übung",
		Incident: "Ereignis", Scenario: "Szenario", Severity: "Stufe", DeclaredAt: "Ausgerufen am",
		DeclaredBy: "Ausgerufen von", Reason: "Begründung", ConfirmedBy: "Bestätigt und ausgerufen von",
		ProposedBy: "Vorgeschlagen von (Warnung)", Proposal: "Vorschlag", Message: "Meldung", StoodDown: "Entwarnung am", StoodDownBy: "Entwarnung durch",
		Open: "keine Entwarnung (offen)", Generated: "Bericht erstellt", Zone: "Zeiten in MEZ/MESZ (Europe/Berlin).",
		KeyFigures: "Kennzahlen", FirstAlert: "Zeit bis zur ersten Alarmierung", FirstAnswer: "Zeit bis zur ersten Rückmeldung",
		Quorum: "Zeit bis zur Arbeitsfähigkeit aller Ressorts", Never: "nie erreicht", NotYet: "–",
		PeopleInPlan: "Personen in den Alarmierungsketten", Alerted: "Alarmiert", Reached: "Erreicht", Answered: "Rückmeldung",
		ReachRate: "Erreichbarkeitsquote", RespRate: "Rückmeldequote", DeputiesAlerted: "Stellvertretungen alarmiert",
		DeputiesCovered: "Stellvertretungen eingesprungen", Verdict: "Ergebnis", Yes: "ja", No: "nein",
		VerdictCommon: "Alle erforderlichen Funktionen innerhalb von %s quittiert", VerdictEach: "Alle erforderlichen Funktionen innerhalb der Sollzeit des jeweiligen Ressorts quittiert",
		Orgs: "Ressorts", Org: "Ressort", Target: "Sollzeit", TimeToReady: "Arbeitsfähig nach",
		WithinTarget: "Im Soll", FinalState: "Endstatus", Failed: "Fehlgeschlagen", Unknown: "Unklar",
		Exhausted: "Erschöpfte Kettenglieder", Functions: "Funktionen", Function: "Funktion",
		RequiredN: "Soll", AvailableN: "Verfügbar", CoveredBy: "Abgedeckt durch", FirstAvailable: "Erste Zusage nach",
		Channels: "Kanäle", Channel: "Kanal", Requested: "Angefordert", Alerts: "Alarmierungen", Pending: "Ohne Rückmeldung",
		Sent: "Versendet", Delivered: "Zugestellt", Sources: "Rückmeldungen nach Weg", Source: "Weg",
		Machine: "Anrufbeantworter", ChannelAnswers: "Rückmeldungen",
		Kinds: "Rückmeldungen nach Art (letzte Rückmeldung je Person)", Kind: "Rückmeldung", Count: "Anzahl",
		Timeline: "Verlauf je Person", Person: "Person", Role: "Rolle", AlertedAt: "Alarmiert um",
		Notes: "Benachrichtigungen", Answer: "Rückmeldung", AnsweredAt: "Erste Rückmeldung", ResponseTime: "Reaktionszeit",
		ETA: "Eintreffzeit", Late: "Rückmeldungen nach der Entwarnung (nicht gewertet)", LateNone: "keine",
		ChartReady: "Zeit bis zur Arbeitsfähigkeit je Ressort", ChartAnswers: "Rückmeldungen im Zeitverlauf",
		Minutes: "Minuten seit Ausrufung", NotReady: "nicht arbeitsfähig", SeriesAnswered: "Rückmeldungen (kumuliert)",
		SeriesAvailable: "verfügbar („komme“)", TargetLine: "Soll", Definitions: "Begriffe",
		DefinitionsText: "Erreicht: mindestens eine Alarmierung wurde versendet oder zugestellt, oder die Person hat geantwortet. " +
			"Rückmeldung: mindestens eine Antwort vor der Entwarnung („komme später“ und „nicht verfügbar“ zählen mit). " +
			"Eine Funktion gilt als durch Stellvertretung abgedeckt, wenn die Hauptpersonen allein das Soll nicht erreichen. " +
			"Rückmeldungen nach der Entwarnung gehen in keine Kennzahl ein. Quoten beziehen sich auf die alarmierten Personen.",
		HistoryTitle: "Übungshistorie", HistoryExercises: "Durchgeführte Übungen", HistoryNone: "Keine Übungen erfasst.",
		Date: "Datum", ShareInTime: "Ressorts im Soll",
		Gaps: "In den letzten 12 Monaten nicht geübt", GapsText: "Eine Alarmierungskette gilt als geübt, wenn sie in einer Übung ausgelöst wurde, eine Funktion, wenn jemand für sie „komme“ gemeldet hat, eine Person, wenn sie in einer Übung alarmiert wurde.",
		Trees: "Alarmierungsketten", Tree: "Alarmierungskette", LastExercised: "Zuletzt geübt", NeverExercised: "nie",
		People: "Personen", GapsNone: "Alles wurde geübt.", OverTarget: "Soll überschritten", AfterStandDown: "nach Entwarnung", Covering: "eingesprungen",
		Converted: "Übung in Echtalarm umgewandelt", CoveredAfter: "Abgedeckt nach",
	}
}

func (l labels) severity(s string) string {
	de := map[string][2]string{"disruption": {"Störung", "disruption"}, "emergency": {"Notfall", "emergency"}, "crisis": {"Krise", "crisis"}}
	return l.pick(de, s)
}

func (l labels) state(s activation.ReadinessState) string {
	m := map[string][2]string{
		string(activation.NotActivated): {"nicht aktiviert", "not activated"},
		string(activation.Alerting):     {"Alarmierung läuft", "alerting"},
		string(activation.Forming):      {"im Aufbau", "forming"},
		string(activation.Ready):        {"arbeitsfähig", "ready"},
		string(activation.Degraded):     {"beeinträchtigt", "degraded"},
		string(activation.AtRisk):       {"gefährdet", "at risk"},
	}
	return l.pick(m, string(s))
}

func (l labels) kind(k activation.ResponseKind, minutes int) string {
	switch {
	case k == activation.Delayed && minutes > 0 && l.Lang == "en":
		return fmt.Sprintf("delayed, %d min", minutes)
	case k == activation.Delayed && minutes > 0:
		return fmt.Sprintf("komme in %d Min.", minutes)
	case k == activation.Delayed && l.Lang == "en":
		return "delayed, ETA unknown"
	case k == activation.Delayed:
		return "komme später, ETA unbekannt"
	}
	m := map[string][2]string{
		string(activation.Available):   {"komme", "available"},
		string(activation.Delayed):     {"komme später", "delayed"},
		string(activation.Unavailable): {"nicht verfügbar", "unavailable"},
	}
	return l.pick(m, string(k))
}

func (l labels) delivery(s notifiers.State) string {
	m := map[string][2]string{
		string(notifiers.StatePending): {"ausstehend", "pending"}, string(notifiers.StateSending): {"im Versand", "sending"},
		string(notifiers.StateSent): {"versendet", "sent"}, string(notifiers.StateDelivered): {"zugestellt", "delivered"},
		string(notifiers.StateFailed): {"fehlgeschlagen", "failed"}, string(notifiers.StateUnknown): {"unklar", "unknown"},
	}
	return l.pick(m, string(s))
}

func (l labels) purpose(p notifiers.Purpose) string {
	m := map[string][2]string{
		string(notifiers.PurposeAlert): {"Alarmierung", "alert"}, string(notifiers.PurposeUpdate): {"Lagemeldung", "update"},
		string(notifiers.PurposeStandDown): {"Entwarnung", "stand-down"}, string(notifiers.PurposeReply): {"Bestätigung", "confirmation"},
		string(notifiers.PurposeConvert): {"Echtalarm nach Umwandlung", "real alert after conversion"},
	}
	return l.pick(m, string(p))
}

func (l labels) channel(c string) string {
	m := map[string][2]string{"sms": {"SMS", "SMS"}, "voice": {"Anruf", "call"}, "email": {"E-Mail", "email"}, "console": {"Konsole", "console"},
		"web": {"Web-Link", "web link"}, "api": {"API (stellvertretend)", "API (on behalf)"}, "cli": {"CLI (stellvertretend)", "CLI (on behalf)"}}
	return l.pick(m, c)
}

func (l labels) coveredBy(by string) string {
	m := map[string][2]string{ByPrimary: {"Hauptperson", "primary"}, ByDeputy: {"Stellvertretung", "deputy"}, ByNone: {"nicht abgedeckt", "not covered"}}
	return l.pick(m, by)
}

func (l labels) role(tier int) string {
	switch {
	case tier == 0 && l.Lang == "en":
		return "primary"
	case tier == 0:
		return "Hauptperson"
	case l.Lang == "en":
		return fmt.Sprintf("deputy %d", tier)
	}
	return fmt.Sprintf("Stellvertretung %d", tier)
}

func (l labels) yesNo(b bool) string {
	if b {
		return l.Yes
	}
	return l.No
}

func (l labels) pick(m map[string][2]string, key string) string {
	v, ok := m[key]
	if !ok {
		return key
	}
	if l.Lang == "en" {
		return v[1]
	}
	return v[0]
}

// when formats an instant in Berlin time, with the zone (MEZ/MESZ in German).
func (l labels) when(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return l.NotYet
	}
	t = t.In(loc)
	zone, _ := t.Zone()
	if l.Lang == "en" {
		return t.Format("2006-01-02 15:04:05 ") + zone
	}
	switch zone {
	case "CET":
		zone = "MEZ"
	case "CEST":
		zone = "MESZ"
	}
	return t.Format("02.01.2006, 15:04:05 ") + zone
}

func (l labels) clock(t *time.Time, loc *time.Location) string {
	if t == nil {
		return l.NotYet
	}
	return t.In(loc).Format("15:04:05")
}

// dur formats a span as h:mm:ss, which reads the same in both languages.
func (l labels) dur(s *Span) string {
	if s == nil {
		return l.NotYet
	}
	sec := int64(math.Round(s.Seconds))
	sign := ""
	if sec < 0 {
		sign, sec = "-", -sec
	}
	return fmt.Sprintf("%s%d:%02d:%02d", sign, sec/3600, sec/60%60, sec%60)
}

// rate formats a share with its fraction, e.g. "4/7 (57 %)".
func (l labels) rate(a, b int) string {
	if b == 0 {
		return fmt.Sprintf("0/0 (%s)", l.NotYet)
	}
	pct := math.Round(100 * float64(a) / float64(b))
	if l.Lang == "en" {
		return fmt.Sprintf("%d/%d (%.0f%%)", a, b, pct)
	}
	return fmt.Sprintf("%d/%d (%.0f %%)", a, b, pct) // German typography: space before %
}

// minutes formats a target like "30 Minuten" / "30 minutes".
func (l labels) minutes(s Span) string {
	m := s.Seconds / 60
	if l.Lang == "en" {
		return fmt.Sprintf("%g minutes", m)
	}
	return strings.ReplaceAll(fmt.Sprintf("%g Minuten", m), ".", ",")
}
