package compose

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/gsm7"
)

// MaxSMSChars is what Twilio accepts in one message body.
const MaxSMSChars = 1600

// Size is what the longest SMS of a kind takes.
type Size struct {
	Segments int // SMS segments
	Chars    int // characters (Twilio's limit counts these)
	Encoding string
}

// MeasureSMS composes the SMS of purpose for inc in every language with the
// longest names of the configuration (person, organisation, function), so
// no recipient gets a longer text, and returns the largest. For updates and
// stand-downs text is the update or reason; alerts take title and message
// from inc. A zero ReplyCode is measured as "K99999".
func (c *Composer) MeasureSMS(purpose notifiers.Purpose, inc activation.Declared, text string) (Size, error) {
	cfg := c.config()
	if inc.ReplyCode == "" {
		inc.ReplyCode = "K99999"
	}
	var worst Size
	for _, lang := range []string{config.LangDE, config.LangEN} {
		tpl, ok := templatesFor(cfg, purpose, inc.Scenario, lang)
		if !ok || purpose == notifiers.PurposeConvert {
			return Size{}, fmt.Errorf("compose: cannot measure purpose %q", purpose)
		}
		d := longest(cfg, lang)
		d.Title, d.Message, d.ReplyCode, d.Scenario = inc.Title, inc.Message, inc.ReplyCode, inc.Scenario
		d.Severity, d.SeverityName, d.Exercise = inc.Severity, config.SeverityName(inc.Severity, lang), inc.Exercise
		d.DeclaredAt = inc.DeclaredAt.In(c.loc)
		if purpose != notifiers.PurposeAlert {
			d.Message = text
		}
		body, err := c.render(inc.Scenario+"/sms/"+lang+"/"+string(purpose), tpl.SMS, d)
		if err != nil {
			return Size{}, err
		}
		if inc.Exercise {
			body = ExercisePrefix(lang) + strings.TrimSpace(body)
		}
		if purpose == notifiers.PurposeAlert {
			body += "\n" + AnswerHint(lang, inc.ReplyCode)
		}
		body = gsm7.Transliterate(strings.TrimSpace(body))
		enc, segs, _ := gsm7.Segments(body)
		s := Size{Segments: segs, Chars: utf8.RuneCountInString(body), Encoding: enc}
		if s.Segments > worst.Segments || s.Chars > worst.Chars {
			worst = Size{Segments: max(s.Segments, worst.Segments), Chars: max(s.Chars, worst.Chars), Encoding: enc}
		}
	}
	return worst, nil
}

// longest returns template data with the longest person, organisation and
// function names of the configuration in lang.
func longest(cfg *config.Config, lang string) config.TemplateData {
	var d config.TemplateData
	for i := range cfg.People {
		d.Person = longer(d.Person, cfg.People[i].Name)
	}
	for i := range cfg.Organisations {
		d.Organisation = longer(d.Organisation, cfg.Organisations[i].ID)
		d.OrgName = longer(d.OrgName, cfg.Organisations[i].Name.In(lang))
	}
	for i := range cfg.Functions {
		d.Function = longer(d.Function, cfg.Functions[i].ID)
		d.FunctionName = longer(d.FunctionName, cfg.Functions[i].Name.In(lang))
	}
	return d
}

func longer(a, b string) string {
	if utf8.RuneCountInString(b) > utf8.RuneCountInString(a) {
		return b
	}
	return a
}
