package board

import (
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation/board/boardtest"
)

// TestBrowserConversionDropsExerciseMarking: an exercise converted into a
// real incident arrives as a patch; its ÜBUNG banner, tab chip and page
// class must go and the conversion be named, without a reload.
func TestBrowserConversionDropsExerciseMarking(t *testing.T) {
	b := boardtest.StartBrowser(t)
	inc := simpleIncident("K1", time.Now().Add(-3*time.Minute), "MI", "MF")
	e := newBrowserEnv(t, time.Now, inc)
	must(t, b.Login(e.srv.URL, "/", viewerToken))
	mustWait(t, b, "exercise banner", `!!document.querySelector('#incident .exercise-bar')`, 10*time.Second)
	inc.Title = "Erste Fassung" // the hub's first view goes out whole
	e.src.putIncident(inc)
	mustWait(t, b, "title", `(document.querySelector('.incident-title') || {}).textContent === 'Erste Fassung'`, 5*time.Second)
	at := time.Now()
	inc.Exercise, inc.ConvertedAt, inc.ConvertedBy = false, &at, "Anna Lagedienst"
	e.src.putIncident(inc)
	mustWait(t, b, "conversion named", `document.getElementById('incident').textContent.includes('Übung in Echtfall umgewandelt')`, 5*time.Second)
	marked, err := boardtest.Eval[string](b, `[!!document.querySelector('#incident .exercise-bar'), document.body.classList.contains('has-exercise'), !!document.querySelector('.tab .ex-chip'), document.querySelector('a[href*="/report"]') ? document.querySelector('a[href*="/report"]').textContent : ''].join(',')`)
	must(t, err)
	if marked != "false,false,false,Einsatzbericht" {
		t.Errorf("after the conversion: banner, page class, tab chip, report link = %s; want false,false,false,Einsatzbericht", marked)
	}
}
