package ack

// texts holds every string a page shows, in one language.
type texts struct {
	Lang            string
	Exercise        string
	Available       string
	Delayed         string
	Unavailable     string
	MinutesLabel    string
	MinutesUnit     string
	Prompt          string
	Current         string
	NoAnswer        string
	Saved           string
	ETA             string
	AnsweredAt      string
	Over            string
	OverDetail      string
	Expired         string
	ExpiredDetail   string
	Invalid         string
	InvalidDetail   string
	Unknown         string
	UnknownDetail   string
	Retry           string
	RetryDetail     string
	BadAnswer       string
	BadAnswerDetail string
	Hello           string
}

func textsFor(lang string) texts {
	if lang == "en" {
		return texts{
			Lang:            "en",
			Exercise:        "EXERCISE",
			Available:       "I am coming",
			Delayed:         "I am coming later",
			Unavailable:     "Not available",
			MinutesLabel:    "in",
			MinutesUnit:     "min",
			Prompt:          "Please answer:",
			Current:         "Your current answer:",
			NoAnswer:        "You have not answered yet.",
			Saved:           "Your answer has been saved:",
			ETA:             "expected arrival",
			AnsweredAt:      "answered at",
			Over:            "This incident is over.",
			OverDetail:      "The incident has been stood down. No answer is needed and nothing was recorded.",
			Expired:         "This link has expired.",
			ExpiredDetail:   "Please answer by SMS or call the situation centre.",
			Invalid:         "This link is invalid.",
			InvalidDetail:   "The link is damaged or incomplete. Please use the link from the message unchanged, or answer by SMS.",
			Unknown:         "This link is not known.",
			UnknownDetail:   "The incident or person of this link is not known. Nothing was recorded.",
			Retry:           "Please try again.",
			RetryDetail:     "Your answer could not be processed right now. Nothing was recorded. Please try again in a moment or answer by SMS.",
			BadAnswer:       "Please choose an answer.",
			BadAnswerDetail: "The answer was not understood. Nothing was recorded.",
			Hello:           "Hello",
		}
	}
	return texts{
		Lang:            "de",
		Exercise:        "ÜBUNG",
		Available:       "Ich komme",
		Delayed:         "Ich komme später",
		Unavailable:     "Nicht verfügbar",
		MinutesLabel:    "in",
		MinutesUnit:     "Min.",
		Prompt:          "Bitte geben Sie Ihre Rückmeldung:",
		Current:         "Ihre aktuelle Rückmeldung:",
		NoAnswer:        "Sie haben noch nicht geantwortet.",
		Saved:           "Ihre Rückmeldung wurde gespeichert:",
		ETA:             "voraussichtliche Ankunft",
		AnsweredAt:      "gemeldet um",
		Over:            "Dieses Ereignis ist beendet.",
		OverDetail:      "Für das Ereignis wurde Entwarnung gegeben. Eine Rückmeldung ist nicht mehr nötig; es wurde nichts gespeichert.",
		Expired:         "Dieser Link ist abgelaufen.",
		ExpiredDetail:   "Bitte antworten Sie per SMS oder rufen Sie das Lagezentrum an.",
		Invalid:         "Dieser Link ist ungültig.",
		InvalidDetail:   "Der Link ist beschädigt oder unvollständig. Bitte verwenden Sie den Link aus der Nachricht unverändert oder antworten Sie per SMS.",
		Unknown:         "Dieser Link ist nicht bekannt.",
		UnknownDetail:   "Ereignis oder Person zu diesem Link sind nicht bekannt. Es wurde nichts gespeichert.",
		Retry:           "Bitte erneut versuchen.",
		RetryDetail:     "Ihre Rückmeldung konnte gerade nicht verarbeitet werden; es wurde nichts gespeichert. Bitte versuchen Sie es gleich erneut oder antworten Sie per SMS.",
		BadAnswer:       "Bitte wählen Sie eine Antwort.",
		BadAnswerDetail: "Die Antwort wurde nicht verstanden. Es wurde nichts gespeichert.",
		Hello:           "Guten Tag",
	}
}

// answerLabel names an answer kind for display.
func (t texts) answerLabel(kind string) string {
	switch kind {
	case AnswerAvailable:
		return t.Available
	case AnswerDelayed:
		return t.Delayed
	case AnswerUnavailable:
		return t.Unavailable
	}
	return ""
}
