package config

// OrganisationCard is what an organisation's emergency card (Notfallkarte)
// prints beside its call tree: whom to call when no alert arrives, and notes.
// It is read by activation/card only; nothing here changes alerting.
type OrganisationCard struct {
	FallbackPhones []CardPhone `yaml:"fallback_phones"`
	Notes          Localized   `yaml:"notes"`
}

// CardPhone is one fallback number on the card, e.g. the situation centre.
type CardPhone struct {
	Label  Localized `yaml:"label"`
	Number string    `yaml:"number"`
}
