package config

import (
	"fmt"
	"regexp"

	"github.com/nyaruka/phonenumbers"
)

// normaliseMobile returns raw as E.164, or an error saying why it cannot
// receive SMS. region is the ISO country used for national numbers.
//
// The fictitious range +49 151 0000xxxx used in examples is classified as
// MOBILE by phonenumbers (checked in TestMobileNumbers), so it needs no
// exception. Twilio's magic test numbers (+1 500 555 xxxx) are classified
// as PERSONAL_NUMBER; they are accepted explicitly so configurations for
// Twilio test credentials load.
func normaliseMobile(raw, region string) (string, error) {
	n, err := phonenumbers.Parse(raw, region)
	if err != nil {
		return "", fmt.Errorf("%q is not a phone number: %w", raw, err)
	}
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	if isTwilioTestNumber(e164) {
		return e164, nil
	}
	if !phonenumbers.IsValidNumber(n) {
		return "", fmt.Errorf("%q is not a valid phone number", raw)
	}
	switch t := phonenumbers.GetNumberType(n); t {
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return e164, nil
	case phonenumbers.FIXED_LINE:
		return "", fmt.Errorf("%q is a landline, not a mobile number", raw)
	default:
		return "", fmt.Errorf("%q is not a mobile number (it is a %s number)", raw, numberTypeName(t))
	}
}

func isTwilioTestNumber(e164 string) bool {
	return regexp.MustCompile(`^\+1500555\d{4}$`).MatchString(e164)
}

func numberTypeName(t phonenumbers.PhoneNumberType) string {
	switch t {
	case phonenumbers.TOLL_FREE:
		return "toll-free"
	case phonenumbers.PREMIUM_RATE:
		return "premium-rate"
	case phonenumbers.SHARED_COST:
		return "shared-cost"
	case phonenumbers.VOIP:
		return "VoIP"
	case phonenumbers.PERSONAL_NUMBER:
		return "personal"
	case phonenumbers.PAGER:
		return "pager"
	case phonenumbers.UAN:
		return "UAN"
	case phonenumbers.VOICEMAIL:
		return "voicemail"
	}
	return "unknown-type"
}

// validRegion reports whether phonenumbers knows the region code.
func validRegion(r string) bool {
	return phonenumbers.GetSupportedRegions()[r]
}
