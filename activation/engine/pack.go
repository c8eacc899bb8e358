package engine

import (
	"encoding/json"
	"fmt"

	"github.com/kaskade-bcm/kaskade/activation"
)

// A decision's consecutive events of one incident are stored as packs
// (activation.KindPack, version 2): one message instead of one per event,
// so a fan-out costs a JetStream write and a dispatcher delivery per pack,
// not per person. A pack's notification requests share one class, which
// names its subject (kaskade.events.<incident>.pack.<class>). A run of one
// event is stored as before (version 1), and logs without packs replay
// unchanged: readers expand a pack into its events (decodeEvents).

// Packing limits: events per pack, and an estimate of its JSON size that
// keeps a pack far below NATS' default max payload of 1 MB.
const (
	packMaxEvents = 1000
	packMaxBytes  = 512 << 10
)

// packEvents groups evs (one decision, already marked with its batch) into
// the messages to append: packs of consecutive events of one incident whose
// requests share a class, single events otherwise. max ≤ 1 turns packing off.
func packEvents(evs []activation.Event, max int) []activation.Event {
	if max <= 1 {
		return evs
	}
	out := make([]activation.Event, 0, len(evs)/max+1)
	for i := 0; i < len(evs); {
		class, packable := packClass(evs[i])
		j, size := i+1, eventSize(evs[i])
		for packable && j < len(evs) && j-i < max && evs[j].Incident == evs[i].Incident {
			c, ok := packClass(evs[j])
			if !ok || c != "" && class != "" && c != class {
				break
			}
			if size += eventSize(evs[j]); size > packMaxBytes {
				break
			}
			if class == "" {
				class = c
			}
			j++
		}
		if j-i == 1 {
			out = append(out, evs[i])
		} else {
			last := evs[j-1]
			out = append(out, activation.Event{V: activation.PackVersion, Incident: last.Incident, Kind: activation.KindPack,
				At: last.At, Batch: last.Batch, Done: last.Done, Events: evs[i:j:j]})
		}
		i = j
	}
	return out
}

// packClass returns the class a pack holding ev is dispatched as ("" for
// an event that is no request); false for events stored alone. Packed are
// the kinds a fan-out writes per person and those of an answer (inbound
// message, response): a reply's decision is then one message, not an
// atomic batch, which an R1 stream stages in a file store of its own and
// syncs. Every other kind keeps its own subject (the intake looks up
// stood_down and declared by subject).
func packClass(ev activation.Event) (string, bool) {
	switch ev.Kind {
	case activation.KindTierAlerted, activation.KindNodeExhausted, activation.KindDelivery, activation.KindReadiness,
		activation.KindInbound, activation.KindResponse:
		return "", true
	case activation.KindNotification:
		if ev.Notification == nil || ev.Notification.Class == "" {
			return "", false
		}
		return ev.Notification.Class, true
	}
	return "", false
}

// eventSize estimates an event's JSON size for the pack limit: a request's
// text (updates, stand-downs) is the only payload of unbounded length.
func eventSize(ev activation.Event) int {
	n := 512
	if ev.Notification != nil {
		n += 2 * len(ev.Notification.Text)
	}
	return n
}

// packRequestClass is the class of the requests in a pack ("" if none).
func packRequestClass(ev activation.Event) string {
	for _, in := range ev.Events {
		if in.Kind == activation.KindNotification && in.Notification != nil {
			return in.Notification.Class
		}
	}
	return ""
}

// unpacked returns the events a message carries: a pack's, or itself.
func unpacked(msgs []activation.Event) []activation.Event {
	n := 0
	for _, m := range msgs {
		if m.Kind == activation.KindPack {
			n += len(m.Events)
		} else {
			n++
		}
	}
	if n == len(msgs) {
		return msgs
	}
	out := make([]activation.Event, 0, n)
	for _, m := range msgs {
		if m.Kind == activation.KindPack {
			out = append(out, m.Events...)
		} else {
			out = append(out, m)
		}
	}
	return out
}

// decodeEvents decodes one message of the log into the events the core
// can apply (a pack's, in order). An error names what is quarantined: the
// whole message, or a pack's events of kinds this build does not know
// (the pack's other events are still returned, as if stored alone).
func decodeEvents(data []byte) ([]activation.Event, error) {
	var ev activation.Event
	if err := json.Unmarshal(data, &ev); err != nil {
		// The decoder's message may quote the payload; only its type is logged.
		return nil, fmt.Errorf("undecodable event (%T)", err)
	}
	if ev.Kind != activation.KindPack {
		if !applicable(ev) {
			return nil, fmt.Errorf("%w: kind %q", errUnknownEvent, truncate(ev.Kind, 40))
		}
		return []activation.Event{ev}, nil
	}
	if len(ev.Events) == 0 {
		return nil, fmt.Errorf("%w: empty pack", errUnknownEvent)
	}
	out := ev.Events[:0]
	var err error
	for _, in := range ev.Events {
		if in.Kind == activation.KindPack || !applicable(in) {
			err = fmt.Errorf("%w: kind %q in a pack", errUnknownEvent, truncate(in.Kind, 40))
			continue
		}
		out = append(out, in)
	}
	return out, err
}
