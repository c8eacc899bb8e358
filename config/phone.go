package config

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// mobileNormaliser normalises many numbers; it holds what the fast path needs.
type mobileNormaliser struct {
	// prefixes are each country code's anchored national-prefix-for-parsing
	// pattern (nil: none). Missing entirely: every number takes the slow path.
	prefixes map[int]*regexp.Regexp
	types    *numberTypes
}

// normalise returns raw as E.164, or an error saying why it cannot receive
// SMS. region is the ISO country used for national numbers.
//
// The fictitious range +49 151 0000xxxx used in examples is classified as
// MOBILE by phonenumbers (checked in TestMobileNumbers), so it needs no
// exception. Twilio's magic test numbers (+1 500 555 xxxx) are classified
// as PERSONAL_NUMBER; they are accepted explicitly so configurations for
// Twilio test credentials load.
func (m *mobileNormaliser) normalise(raw, region string) (string, error) {
	n, e164, ok := m.parseE164(raw)
	return checkMobile(raw, region, n, e164, ok, m.types.numberType)
}

// checkMobile finishes a normalisation: it parses raw the slow way unless
// the fast path succeeded (n, e164, ok), then checks the number type.
func checkMobile(raw, region string, n *phonenumbers.PhoneNumber, e164 string, ok bool,
	numberType func(*phonenumbers.PhoneNumber) phonenumbers.PhoneNumberType) (string, error) {
	if !ok {
		// Parse reads letters as a vanity number (KASKADE → 5272323), which
		// would turn a typo into somebody else's number.
		if strings.IndexFunc(raw, unicode.IsLetter) >= 0 {
			return "", fmt.Errorf("%q contains letters; write the mobile number with digits only", raw)
		}
		var err error
		if n, err = phonenumbers.Parse(raw, region); err != nil {
			return "", fmt.Errorf("%q is not a phone number: %w", raw, err)
		}
		e164 = phonenumbers.Format(n, phonenumbers.E164)
	}
	if isTwilioTestNumber(e164) {
		return e164, nil
	}
	// GetNumberType is UNKNOWN exactly when IsValidNumber is false (both
	// match the number against its region's patterns; checked in
	// TestNumberTypeImpliesValidity): calling only it halves the cost.
	switch t := numberType(n); t {
	case phonenumbers.UNKNOWN:
		return "", fmt.Errorf("%q is not a valid phone number", raw)
	case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
		return e164, nil
	case phonenumbers.FIXED_LINE:
		return "", fmt.Errorf("%q is a landline, not a mobile number", raw)
	default:
		return "", fmt.Errorf("%q is not a mobile number (it is a %s number)", raw, numberTypeName(t))
	}
}

// isTwilioTestNumber matches +1500555dddd (checked without a regexp: it
// runs for every person at every load).
func isTwilioTestNumber(e164 string) bool {
	rest, ok := strings.CutPrefix(e164, "+1500555")
	if !ok || len(rest) != 4 {
		return false
	}
	for _, c := range rest {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
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

type normalisedMobile struct {
	e164 string
	err  error
}

// normaliseAll parses every mobile number on all cores: phone number
// parsing dominates loading a large configuration (100,000 people).
func normaliseAll(people []Person, region string) []normalisedMobile {
	m := newMobileNormaliser()
	out := make([]normalisedMobile, len(people))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(people)/1000))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(people); i += workers {
				if people[i].Mobile != "" {
					out[i].e164, out[i].err = m.normalise(people[i].Mobile, region)
				}
			}
		})
	}
	wg.Wait()
	return out
}
