package server

import (
	"time"

	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/config"
)

// declareLimits turns the configured rates (COUNT per PERIOD) into the API's
// token buckets: COUNT at once, one more every PERIOD/COUNT.
func declareLimits(r config.DeclarationRates) httpapi.DeclareLimits {
	bucket := func(c config.Rate) httpapi.Rate {
		return httpapi.Rate{Burst: c.Count, Every: c.Per.D() / time.Duration(max(c.Count, 1))}
	}
	return httpapi.DeclareLimits{Real: bucket(r.Real), Exercise: bucket(r.Exercise)}
}

// declarerRates are the same rates for each NATS declarer identity.
func declarerRates(r config.DeclarationRates) alerting.DeclarerRates {
	return declareLimits(r) // the same buckets: httpapi.DeclareLimits is alerting.DeclarerRates
}
