// Package reply owns the SMS reply grammar of Kaskade: how a staff member's
// short answer ("1", "2 30", "3 krank", "nein", "1 K7", "STOP") is understood,
// also as the answer line of an email reply (found by notifiers/email). It is pure: no I/O, no
// clock, no knowledge of incidents beyond the reply-code syntax.
//
// Grammar (case-insensitive; quotes, spaces and punctuation separate words;
// only the first non-empty line counts, but minutes on the second make a
// yes later: "Komme\nin 30 min"). The leading code or keyword
// decides; the words after it are kept as the remark:
//
//	available    1 | ja | komme | sofort | bin da | Zusage | sure | yes | 👍 | ✅ | unterwegs | vor Ort …
//	delayed      2 <n> [min|h] | komme [in] <n> | später <n> | in <n> min | <n> min | ETA <n> |
//	             1 <n> | ja [ca.] <n> [min] | unterwegs, <n> min | running late, <n> min |
//	             erst in <n> min | (2 | in | komme in) halbe Stunde | einer Stunde | 1,5 h | 1 1/2 Std |
//	             Ja. Brauche 45 Minuten. | komme, Fahrzeit 45 min | brauche 45 min | knapp eine Stunde …
//	             2 | später | komme etwas später | I'll be late | ja, aber erst um 20 Uhr |
//	             ja, heute Abend | über eine Stunde | more than an hour | by 10
//	             (no minutes: ETA unknown, asked for)
//	unavailable  3 | nein | nee | no | 👎 | ❌ | nicht verfügbar | kann nicht | krank | urlaub |
//	             Absage | keine Zeit | Elternzeit | im Krankenhaus | Dienstreise | off sick |
//	             Unable to attend | erst morgen | komme morgen | in 2 Tagen | nächste Woche …
//	stop         STOP | STOPP | STOPALL | UNSUBSCRIBE | CANCEL | END | QUIT | REVOKE | OPTOUT
//	start        START | UNSTOP
//	help         HELP | HILFE | INFO
//
// Greetings and softeners before the answer are skipped ("ok komme", "sorry,
// kann nicht"). Words that give a reason ("bin krank", "unterwegs") are kept
// whole as the remark. Minutes are digits, a decimal, H:MM or a fraction before
// an hour unit ("1,5h", "1:20 h", "1 1/2 Std"), or number words 1–60 in German
// and English ("zwanzig", "forty-five", "zwei Stunden"); a range counts with
// its upper bound and a bound as said ("10 bis 15 min" is 15, "max 20 min" 20,
// "frühestens in 2 Stunden" 120, "knapp eine Stunde" 60, "weniger als 30 min"
// 30): an arrival is never read earlier than said. A lower bound ("gut eine
// Stunde", "über 30 min", "mehr als 1 Stunde", "more than an hour") is delayed
// without an ETA, the words as the remark: the number would claim an arrival
// possibly too early. A yes is delayed when followed by minutes right after it
// ("1 30", "ja ca. 20 min", "unterwegs, 10 min"), by "in <n> min", "in <n> da"
// or "ETA <n>" anywhere in the remark ("ja, bin in 5 da"), by a duration with a
// unit anywhere in the remark ("Ja. Brauche 45 Minuten.", "komme, Fahrzeit 45
// min", "Leaving now, 40 minutes"), by a delay answer ("ja, komme später") or
// by a time after a "but" ("ja... aber erst später", "yes but in 1h"); other
// numbers in a remark are no delay ("1, bringe 2 Laptops mit"). A duration
// after für/seit/vor/alle/for/since/every or before ago/lang/bleiben says how
// long, since when or how long ago, no arrival ("ja, für 2 Stunden", "ja, bin
// vor 10 min losgefahren" are available); two different durations leave the
// arrival open (delayed without an ETA). Without a yes, brauche/Fahrzeit/
// Anfahrt/noch/need/travel time before a duration with a unit is a delay
// ("brauche noch ne Stunde"), as is such a duration in the remark of a delay
// without minutes ("2, Fahrzeit 45 min"). A number without a unit after a yes
// must end the answer or its part, or be followed only by da/dort/bin da, a
// sign-off or a yes ("1 30", "1 30, Stau", "ja 20 bin da"); before another word
// it counts that, no delay and no second code ("ja 4 Personen", "1 2 Laptops"
// are available with the words as remark). A clock time after a yes, also after
// a "but", or after ab/um/nicht vor/ETA ("1 20:00", "komme 20 Uhr", "ja, aber
// erst um 20 Uhr", "ab 14 Uhr", "ETA 14:30", "Can be there by 10am"), a bare
// hour after um/at/nach/after/by ("ja, erst um 8", "by 10"; alone only after a
// word that says when) and a time of day today after a yes ("ja, aber erst
// heute Abend", "yes, tonight") are delayed without an ETA, the words kept as
// the remark. H:MM is a clock time, never the code and minutes: "2:30" is
// delayed without an ETA (the time kept as the remark); before an hour unit it
// is a duration ("in 2:30 h"). An arrival on another day ("komme morgen", "ja,
// aber erst morgen", "übermorgen", "in 2 Tagen", "komme nächste Woche", "yes,
// in 2 days") is unavailable for this alert, the whole reply kept as the
// remark: days are never minutes. A yes restricted otherwise ("ja, muss erst
// Kinder wegbringen", "ja aber erst in 25 Stunden") or with a condition ("ja,
// wenn …", "yes if needed") and seconds or a clock time without the code 2 or a
// yes ("in 30 sek", "in 2:30") are Unknown. A yes with a no word after it ("1
// nein", "ja kann nicht") or a no with a yes ("3 komme") is never guessed: it
// is Unknown with ReasonContradiction. An answer may carry one incident reply
// code K<digits> anywhere ("1 K7", "K7 1", "2 30 K12", "1K7"); it is returned
// upper-case. testdata/corpus.tsv holds the replies this is tested with.
package reply
