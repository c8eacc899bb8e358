// Package reply owns the SMS reply grammar of Kaskade: how a staff member's
// short answer ("1", "2 30", "3 krank", "nein", "1 K7", "STOP") is understood,
// and how the answer line is found in an email reply. It is pure: no I/O, no
// clock, no knowledge of incidents beyond the reply-code syntax.
//
// Grammar (case-insensitive; quotes, spaces and punctuation separate words;
// only the first non-empty line counts). The leading code or keyword
// decides; the words after it are kept as the remark:
//
//	available    1 | ja | komme | komme gleich | geht klar | yes | 👍 | ✅ | unterwegs …
//	delayed      2 <n> [min|h] | komme [in] <n> | später <n> | in <n> min | <n> min |
//	             erst in <n> min | (2 | in | komme in) halbe Stunde | einer Stunde | 1,5 h …
//	             2 | später | komme später  (no minutes: ETA unknown, asked for)
//	unavailable  3 | nein | nee | no | 👎 | ❌ | nicht verfügbar | kann nicht | krank | urlaub …
//	stop         STOP | STOPP | STOPALL | UNSUBSCRIBE | CANCEL | END | QUIT
//	start        START | UNSTOP
//	help         HELP | HILFE | INFO
//
// Greetings and softeners before the answer are skipped ("ok komme",
// "sorry, kann nicht"). Words that give a reason ("bin krank", "unterwegs")
// are kept whole as the remark. A yes followed by a delay answer ("ja, komme
// später", "ja, komme in 30 min") or by a time after a "but" ("ja... aber
// erst später", "yes but in 1h") is delayed; an arrival time alone after a
// yes ("komme, bin in 20 min da") is a remark; a clock time after a yes
// ("bin um 20 Uhr da", "1 20:00", "komme 20 Uhr") is delayed without an ETA.
// H:MM is a clock time, never the code and minutes: "2:30" is delayed without
// an ETA (the time kept as the remark); before an hour unit it is a duration
// ("in 2:30 h"). A yes restricted to a time that is no delay in minutes ("ja,
// aber erst um 20 Uhr", "ja, erst in 2 Tagen") and days, weeks or a clock time
// without the code 2 or a yes ("in 2 Tagen", "in 2:30") are Unknown. A yes with a no word after it ("1 nein", "ja kann nicht", "komme
// morgen") or a no with a yes ("3 komme") is never guessed: it is Unknown
// with ReasonContradiction. An answer may carry one incident reply code
// K<digits> anywhere ("1 K7", "K7 1", "2 30 K12", "1K7"); it is returned upper-case.
// testdata/corpus.tsv holds the replies this is tested with.
package reply
