package httpapi

import (
	"fmt"
	"net/http"
	"time"

	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// limiters are the Server's per-token and per-address limits.
type limiters struct {
	real, exercise *web.Buckets
	warnings       *web.Buckets // warnings per intake token
	fails          *web.FailGuard
}

func newLimiters(o Options) limiters {
	l := o.DeclareLimits
	if l.Real == (Rate{}) {
		l.Real = DefaultDeclareLimits.Real
	}
	if l.Exercise == (Rate{}) {
		l.Exercise = DefaultDeclareLimits.Exercise
	}
	w := o.WarningRate
	if w == (Rate{}) {
		w = DefaultWarningRate
	}
	return limiters{
		warnings: web.NewBuckets(w.Burst, w.Every, o.Now),
		real:     web.NewBuckets(l.Real.Burst, l.Real.Every, o.Now),
		exercise: web.NewBuckets(l.Exercise.Burst, l.Exercise.Every, o.Now),
		fails: web.NewFailGuard(web.FailGuardOptions{Surface: "api", Logger: o.Logger, Now: o.Now, Registerer: o.Registerer,
			Burst: o.WrongTokens.Burst, Every: o.WrongTokens.Every}),
	}
}

// mayDeclare checks a declaration before it is submitted: it resolves
// against the configuration, its texts fit the SMS budget and who is within
// the declaration rate. Otherwise it has answered the request and is false.
func (s *Server) mayDeclare(w http.ResponseWriter, who string, d alerting.Declaration) bool {
	resolved, err := alerting.Resolve(s.config(), d)
	if err != nil {
		writeAlertingError(w, err)
		return false
	}
	return s.fits(w, notifiers.PurposeAlert, resolved.Declared, "", "title or message") && s.declareAllowed(w, who, d.Exercise)
}

// declareAllowed answers 429 when the token has declared too much of one
// kind; a declaration is counted once it is recorded (declared).
func (s *Server) declareAllowed(w http.ResponseWriter, who string, exercise bool) bool {
	b, kind := s.lim.real, "real incidents"
	if exercise {
		b, kind = s.lim.exercise, "exercises"
	}
	limited, retry := b.Limited(who)
	if !limited {
		return true
	}
	w.Header().Set("Retry-After", web.RetryAfter(retry))
	web.WriteError(w, http.StatusTooManyRequests, alerting.CodeRateLimited,
		fmt.Sprintf("too many %s declared with this token; try again in %s", kind, retry.Round(time.Second)))
	return false
}

// DefaultWarningRate bounds warnings per intake token: a storm's burst of
// DWD warnings passes, a runaway sender does not fill the log.
var DefaultWarningRate = Rate{Burst: 600, Every: time.Second}

// warningAllowed takes one warning from the token's bucket or answers 429.
func (s *Server) warningAllowed(w http.ResponseWriter, who string) bool {
	if limited, retry := s.lim.warnings.Limited(who); limited {
		w.Header().Set("Retry-After", web.RetryAfter(retry))
		web.WriteError(w, http.StatusTooManyRequests, alerting.CodeRateLimited,
			fmt.Sprintf("too many warnings with this token; try again in %s", retry.Round(time.Second)))
		return false
	}
	s.lim.warnings.Take(who)
	return true
}

// declared counts a recorded declaration against the token.
func (s *Server) declared(who string, exercise bool) {
	if exercise {
		s.lim.exercise.Take(who)
		return
	}
	s.lim.real.Take(who)
}

// wrongToken answers a wrong bearer token: 401, or 429 once the address
// has failed too often.
func (s *Server) wrongToken(w http.ResponseWriter, r *http.Request) {
	limited, retry := s.lim.fails.Fail(r.Context(), web.ClientAddr(r, s.opts.TrustedProxies), "bearer")
	if limited {
		w.Header().Set("Retry-After", web.RetryAfter(retry))
		web.WriteError(w, http.StatusTooManyRequests, alerting.CodeRateLimited, "too many wrong tokens from this address; wait and check the token")
		return
	}
	web.WriteError(w, http.StatusUnauthorized, "unauthorized", "invalid bearer token")
}
