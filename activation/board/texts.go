package board

// loginText holds every text of the login page, German and English; the
// board page's texts are in assets/board.js (its table T).
var loginText = map[string]map[string]string{
	"de": {
		"title":    "Anmeldung – Kaskade Lagebild",
		"heading":  "Anmeldung zum Lagebild",
		"intro":    "Melden Sie sich mit Ihrem API-Token an (dasselbe Token wie für die REST-API).",
		"token":    "API-Token",
		"submit":   "Anmelden",
		"other":    "English",
		"subtitle": "Alarmierung und Arbeitsfähigkeit der Krisenstäbe",
		"invalid":  "Das Token ist ungültig. Bitte prüfen Sie die Eingabe.",
		"toomany":  "Zu viele Fehlversuche. Bitte warten Sie eine Minute.",
		"intake":   "Dieses Token gehört einem Warnsystem und darf nur Warnungen einliefern, nicht das Lagebild öffnen.",
	},
	"en": {
		"title":    "Sign in – Kaskade situation board",
		"heading":  "Sign in to the situation board",
		"intro":    "Sign in with your API token (the same token the REST API accepts).",
		"token":    "API token",
		"submit":   "Sign in",
		"other":    "Deutsch",
		"subtitle": "Alerting and readiness of the crisis staffs",
		"invalid":  "The token is not valid. Please check it.",
		"toomany":  "Too many failed attempts. Please wait a minute.",
		"intake":   "This token belongs to a warning system: it may only deliver warnings, not open the board.",
	},
}
