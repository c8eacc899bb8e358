// Package reply owns the SMS reply grammar of Kaskade: how a staff member's
// short answer ("1", "2 30", "3", "nein", "1 K7", "STOP") is understood, and
// how the answer line is found in an email reply. It is pure: no I/O, no
// clock, no knowledge of incidents beyond the reply-code syntax.
//
// Grammar (case-insensitive; quotes, extra spaces and trailing punctuation
// are ignored; only the first non-empty line counts):
//
//	available    1 | ja | j | komme | ich komme | yes | y
//	delayed      2 <n> [min] | komme [in] <n> [min] | später <n> [min]
//	             (<n> minutes 1..1440; "h"/"std" multiplies by 60; "2 30min" works)
//	unavailable  3 | nein | no | n | nicht verfügbar | komme nicht | kann nicht
//	stop         STOP | STOPP | STOPALL | UNSUBSCRIBE | CANCEL | END | QUIT
//	start        START | UNSTOP
//	help         HELP | HILFE | INFO
//
// An answer may carry one incident reply code K<digits> anywhere ("1 K7",
// "K7 1", "2 30 K12"); it is returned upper-case. Anything else is Unknown
// with a German Reason suitable for a help reply.
package reply
