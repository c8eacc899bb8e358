package config

import (
	"regexp"

	"github.com/nyaruka/phonenumbers"
)

// numberTypes replaces phonenumbers.GetNumberType (patterns compiled once per load; equivalence: TestNumberTypesMatchLibrary).
type numberTypes struct {
	byRegion map[string]*typeMatcher
	nonGeo   map[int]*typeMatcher // country calling code → metadata of non-geographical entities (region "001")
}

// typeMatcher holds one region's number descriptions in the order
// getNumberTypeHelper tries them.
type typeMatcher struct {
	general, fixedLine, mobile descMatcher
	ordered                    []typedDesc // premium rate … voicemail
	sameMobileAndFixedLine     bool
}

type typedDesc struct {
	typ  phonenumbers.PhoneNumberType
	desc descMatcher
}

type descMatcher struct {
	lengths []int32
	re      *regexp.Regexp // nil: the pattern did not compile; never matches (the library's regexFor panics instead)
}

func newDescMatcher(d *phonenumbers.PhoneNumberDesc) descMatcher {
	re, _ := regexp.Compile("^(?:" + d.GetNationalNumberPattern() + ")$")
	return descMatcher{lengths: d.PossibleLength, re: re}
}

// matches mirrors the library's isNumberMatchingDesc (its two checks use
// the same pattern; one match suffices).
func (d descMatcher) matches(national string) bool {
	if len(d.lengths) > 0 {
		found := false
		for _, l := range d.lengths {
			if int32(len(national)) == l {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return d.re != nil && d.re.MatchString(national)
}

func newNumberTypes() *numberTypes {
	nt := &numberTypes{byRegion: map[string]*typeMatcher{}, nonGeo: map[int]*typeMatcher{}}
	mc, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nt // every number then goes to the library
	}
	for _, m := range mc.GetMetadata() {
		tm := &typeMatcher{
			general: newDescMatcher(m.GetGeneralDesc()), fixedLine: newDescMatcher(m.GetFixedLine()), mobile: newDescMatcher(m.GetMobile()),
			sameMobileAndFixedLine: m.GetSameMobileAndFixedLinePattern(),
		}
		for _, td := range []struct {
			t phonenumbers.PhoneNumberType
			d *phonenumbers.PhoneNumberDesc
		}{
			{phonenumbers.PREMIUM_RATE, m.GetPremiumRate()}, {phonenumbers.TOLL_FREE, m.GetTollFree()},
			{phonenumbers.SHARED_COST, m.GetSharedCost()}, {phonenumbers.VOIP, m.GetVoip()},
			{phonenumbers.PERSONAL_NUMBER, m.GetPersonalNumber()}, {phonenumbers.PAGER, m.GetPager()},
			{phonenumbers.UAN, m.GetUan()}, {phonenumbers.VOICEMAIL, m.GetVoicemail()},
		} {
			tm.ordered = append(tm.ordered, typedDesc{td.t, newDescMatcher(td.d)})
		}
		if m.GetId() == "001" {
			nt.nonGeo[int(m.GetCountryCode())] = tm
		} else {
			nt.byRegion[m.GetId()] = tm
		}
	}
	return nt
}

// numberType returns what phonenumbers.GetNumberType(n) returns.
func (nt *numberTypes) numberType(n *phonenumbers.PhoneNumber) phonenumbers.PhoneNumberType {
	region := phonenumbers.GetRegionCodeForNumber(n)
	var tm *typeMatcher
	if region == "001" {
		tm = nt.nonGeo[int(n.GetCountryCode())]
	} else {
		tm = nt.byRegion[region]
	}
	if tm == nil {
		if region == "" || region == "ZZ" {
			return phonenumbers.UNKNOWN
		}
		return phonenumbers.GetNumberType(n) // not in our table: ask the library
	}
	national := phonenumbers.GetNationalSignificantNumber(n)
	if !tm.general.matches(national) {
		return phonenumbers.UNKNOWN
	}
	for _, td := range tm.ordered {
		if td.desc.matches(national) {
			return td.typ
		}
	}
	if tm.fixedLine.matches(national) {
		if tm.sameMobileAndFixedLine || tm.mobile.matches(national) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	}
	if !tm.sameMobileAndFixedLine && tm.mobile.matches(national) {
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}
