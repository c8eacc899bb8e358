package config

import (
	"strings"
	"time"
)

// Built-in values for settings the file leaves out.
const (
	defaultLanguage       = LangDE
	defaultRegion         = "DE"
	defaultTarget         = 30 * time.Minute
	defaultWait           = 10 * time.Minute
	defaultAckTTL         = 24 * time.Hour
	defaultTwilioAPIURL   = "https://api.twilio.com"
	defaultValidityPeriod = 15 * time.Minute
	defaultConcurrency    = 50
	defaultTwilioTimeout  = 10 * time.Second
	defaultSMTPPort       = 587
	defaultSMTPTLS        = "mandatory"
	defaultSMTPTimeout    = 15 * time.Second

	defaultSMSSegmentBudget = 3

	// DefaultProviderRetryFor is server.provider_retry_for when not set;
	// the bounds keep an outage from escalating at once or being waited out for hours.
	DefaultProviderRetryFor = 2 * time.Minute
	minProviderRetryFor     = time.Second
	maxProviderRetryFor     = time.Hour
)

// Declaration limits per source unless set: real incidents, exercises.
var (
	defaultRealRate     = Rate{Count: 10, Per: Duration(time.Hour)}
	defaultExerciseRate = Rate{Count: 60, Per: Duration(time.Hour)}
)

func setRate(r *Rate, def Rate) {
	if *r == (Rate{}) {
		*r = def
	}
}

func setDuration(d *Duration, def time.Duration) {
	if *d == 0 {
		*d = Duration(def)
	}
}

func setString(s *string, def string) {
	if *s == "" {
		*s = def
	}
}

// applyDefaults fills in everything the file may leave out, so the rest of
// Kaskade never has to know a default.
func (c *Config) applyDefaults() {
	d := &c.Defaults
	setString(&d.Language, defaultLanguage)
	setString(&d.Region, defaultRegion)
	d.Region = strings.ToUpper(d.Region)
	setDuration(&d.Target, defaultTarget)
	setDuration(&d.Wait, defaultWait)

	setDuration(&c.Server.AckTTL, defaultAckTTL)
	setDuration(&c.Server.ProviderRetryFor, DefaultProviderRetryFor)
	if c.Server.SMSSegmentBudget == 0 {
		c.Server.SMSSegmentBudget = defaultSMSSegmentBudget
	}
	setRate(&c.Server.DeclarationRate.Real, defaultRealRate)
	setRate(&c.Server.DeclarationRate.Exercise, defaultExerciseRate)

	// nil means "not set"; an explicit empty list (as: []) is kept.
	if c.Channels.Console.As == nil {
		c.Channels.Console.As = []string{ChannelSMS, ChannelEmail}
	}
	if t := c.Channels.Twilio; t != nil {
		setString(&t.APIURL, defaultTwilioAPIURL)
		setDuration(&t.ValidityPeriod, defaultValidityPeriod)
		if t.Concurrency == 0 {
			t.Concurrency = defaultConcurrency
		}
		setDuration(&t.Timeout, defaultTwilioTimeout)
	}
	if e := c.Channels.Email; e != nil {
		if e.Port == 0 {
			e.Port = defaultSMTPPort
		}
		setString(&e.TLS, defaultSMTPTLS)
		setDuration(&e.Timeout, defaultSMTPTimeout)
	}

	for i := range c.Organisations {
		o := &c.Organisations[i]
		setString(&o.Kind, KindMinistry)
		setDuration(&o.Readiness.Target, d.Target.D())
	}
	for i := range c.People {
		setString(&c.People[i].Language, d.Language)
	}
	for i := range c.Policies {
		p := &c.Policies[i]
		setDuration(&p.Wait, d.Wait.D())
		for j := range p.Steps {
			setString(&p.Steps[j].If, IfNoAnswer)
		}
	}
}

// DefaultPolicy is the escalation policy for call trees and nodes that name
// none when defaults.policy is not set either: SMS at once, email after 2
// minutes if the SMS was not delivered, SMS again after 5 minutes, deputies
// after wait.
func DefaultPolicy(wait Duration) EscalationPolicy {
	return EscalationPolicy{
		ID: "builtin",
		Steps: []EscalationStep{
			{Channel: ChannelSMS, After: 0, If: IfNoAnswer},
			{Channel: ChannelEmail, After: Duration(2 * time.Minute), If: IfNotDelivered},
			{Channel: ChannelSMS, After: Duration(5 * time.Minute), If: IfNoAnswer},
		},
		Wait: wait,
	}
}
