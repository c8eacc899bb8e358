package ack

import (
	"net/http"
	"strings"
	"testing"
)

// TestMinutesBelongToLater (issue 16.19): the minutes selector sits with
// "Ich komme später" in one group, not under "Ich komme".
func TestMinutesBelongToLater(t *testing.T) {
	e := newEnv(t, openStatus())
	code, _, body := e.get(t, "/ack/"+e.token)
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	avail := strings.Index(body, `value="available"`)
	group := strings.Index(body, "<fieldset")
	delayed := strings.Index(body, `value="delayed"`)
	sel := strings.Index(body, "<select")
	end := strings.Index(body, "</fieldset>")
	unavail := strings.Index(body, `value="unavailable"`)
	if !(avail < group && group < delayed && delayed < sel && sel < end && end < unavail) {
		t.Fatalf("order available %d, group %d, delayed %d, select %d, group end %d, unavailable %d: "+
			"the minutes must be grouped with and after \"Ich komme später\"", avail, group, delayed, sel, end, unavail)
	}
}
