package proposal

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// amWebhook is Alertmanager's webhook body (version 4).
type amWebhook struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	Alerts            []amAlert         `json:"alerts"`
}

type amAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Fingerprint string            `json:"fingerprint"`
}

// ParseAlertmanager reads an Alertmanager webhook and returns one Warning
// per alert: firing alerts are new, resolved ones are noted on theirs.
func ParseAlertmanager(data []byte) ([]Warning, error) {
	var hook amWebhook
	if err := json.Unmarshal(data, &hook); err != nil {
		return nil, fmt.Errorf("%w: not an Alertmanager webhook: %v", ErrInvalid, err)
	}
	if hook.Version != "4" {
		return nil, fmt.Errorf("%w: webhook version %q, want 4", ErrInvalid, hook.Version)
	}
	if hook.GroupKey == "" {
		return nil, fmt.Errorf("%w: no groupKey", ErrInvalid)
	}
	if len(hook.Alerts) == 0 {
		return nil, fmt.Errorf("%w: no alerts", ErrInvalid)
	}
	out := make([]Warning, 0, len(hook.Alerts))
	for i, a := range hook.Alerts {
		if a.Fingerprint == "" || a.Labels["alertname"] == "" {
			return nil, fmt.Errorf("%w: alert %d needs a fingerprint and an alertname label", ErrInvalid, i+1)
		}
		w := Warning{Source: SourceAlertmanager, SourceID: a.Fingerprint, Sent: a.StartsAt, Group: hook.GroupKey, GroupStatus: hook.Status,
			Event: a.Labels["alertname"], Labels: a.Labels, Severity: amSeverity(a.Labels["severity"])}
		switch a.Status {
		case "firing":
			w.Kind = KindNew
		case "resolved":
			w.Kind, w.References, w.Sent = KindResolved, []string{a.Fingerprint}, a.EndsAt
		default:
			return nil, fmt.Errorf("%w: alert %d status %q, want firing or resolved", ErrInvalid, i+1, a.Status)
		}
		w.Headline = firstOf(a.Annotations["summary"], hook.CommonAnnotations["summary"], a.Labels["alertname"])
		w.Description = firstOf(a.Annotations["description"], hook.CommonAnnotations["description"])
		out = append(out, w)
	}
	return out, nil
}

// amSeverity maps the usual severity labels onto CAP's scale for rules.
func amSeverity(s string) string {
	switch strings.ToLower(s) {
	case "critical", "page":
		return "Severe"
	case "warning":
		return "Moderate"
	case "info":
		return "Minor"
	}
	return "Unknown"
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
