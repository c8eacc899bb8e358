package config

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// ChannelVoice calls the person (Twilio Programmable Voice).
const ChannelVoice = "voice"

// VoiceNumber is the number a voice step calls: the landline phone when
// set, else the mobile.
func (p *Person) VoiceNumber() string {
	if p.Phone != "" {
		return p.Phone
	}
	return p.Mobile
}

// stepChannels are the channels an escalation step may name.
var stepChannels = []string{ChannelSMS, ChannelEmail, ChannelConsole, ChannelVoice}

// phones validates and normalises every person's phone (any valid number
// type: a landline is fine for calls). Called from people().
func (v *validator) phones() {
	seen := map[string]string{}
	for i := range v.c.People {
		pe := &v.c.People[i]
		if pe.Phone == "" {
			continue
		}
		path := fmt.Sprintf("people[%d].phone", i)
		e164, err := normalisePhone(pe.Phone, v.c.Defaults.Region)
		if err != nil {
			v.errorf(path, "%v", err)
			continue
		}
		if first, dup := seen[e164]; dup {
			v.warnf(path, "%s is also the phone of %s; calls in could not be told apart", e164, first)
		} else {
			seen[e164] = pe.ID
		}
		pe.Phone = e164
	}
}

// normalisePhone returns raw as E.164 if it is a valid number of any
// type; letters are refused as for mobiles (no vanity numbers).
func normalisePhone(raw, region string) (string, error) {
	if strings.IndexFunc(raw, unicode.IsLetter) >= 0 {
		return "", fmt.Errorf("%q contains letters; write the phone number with digits only", raw)
	}
	n, err := phonenumbers.Parse(raw, region)
	if err != nil {
		return "", fmt.Errorf("%q is not a phone number: %w", raw, err)
	}
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	if isTwilioTestNumber(e164) || phonenumbers.IsValidNumber(n) {
		return e164, nil
	}
	return "", fmt.Errorf("%q is not a valid phone number", raw)
}

// voiceReaches reports whether pol calls and pe has a number to call.
func voiceReaches(pol *EscalationPolicy, pe *Person) bool {
	return pe.VoiceNumber() != "" && slices.ContainsFunc(pol.Steps, func(s EscalationStep) bool { return s.Channel == ChannelVoice })
}

// voiceFrom checks channels.twilio.voice_from: an E.164 number.
func (v *validator) voiceFrom() {
	if t := v.c.Channels.Twilio; t != nil && t.VoiceFrom != "" && !isE164(t.VoiceFrom) {
		v.errorf("channels.twilio.voice_from", "must be an E.164 number (+4951…), got %q", t.VoiceFrom)
	}
}

// CallerID is the number voice calls come from: voice_from, else from
// when it is a number; "" when voice is not possible.
func (t *TwilioChannel) CallerID() string {
	if t.VoiceFrom != "" {
		return t.VoiceFrom
	}
	if isE164(t.From) {
		return t.From
	}
	return ""
}

func isE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// PersonByNumber finds a caller: by mobile (indexed), else by phone (a
// scan; calls in are rare).
func (c *Config) PersonByNumber(e164 string) (*Person, bool) {
	if p, ok := c.PersonByMobile(e164); ok {
		return p, true
	}
	for i := range c.People {
		if e164 != "" && c.People[i].Phone == e164 {
			return &c.People[i], true
		}
	}
	return nil, false
}
