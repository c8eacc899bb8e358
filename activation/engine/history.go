package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// Events reads the log from the stream: one incident's events, or all of
// them when incident is "". Reports are computed from this alone.
func (e *Engine) Events(ctx context.Context, incident string) ([]activation.Event, error) {
	stream, err := e.opts.JS.Stream(ctx, e.opts.Layout.EventsStream())
	if err != nil {
		return nil, fmt.Errorf("engine: events stream: %w", err)
	}
	filter := e.opts.Layout.EventsFilter()
	if incident != "" {
		filter = e.opts.Layout.IncidentEventsFilter(incident)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(filter))
	if err != nil {
		return nil, fmt.Errorf("engine: events stream info: %w", err)
	}
	var want uint64
	for _, n := range info.State.Subjects {
		want += n
	}
	if want == 0 {
		return nil, nil
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		return nil, fmt.Errorf("engine: events consumer: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return nil, fmt.Errorf("engine: events: %w", err)
	}
	defer it.Stop()
	out := make([]activation.Event, 0, want)
	for read := uint64(0); read < want; read++ { // messages; a pack holds several events
		m, err := it.Next(jetstream.NextMaxWait(5 * time.Second))
		if err != nil {
			return nil, fmt.Errorf("engine: events after %d of %d: %w", read, want, err)
		}
		var ev activation.Event
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			return nil, fmt.Errorf("engine: undecodable event: %w", err)
		}
		if e.aborted(ev.Batch) {
			continue // a decision a crash interrupted: not part of the record
		}
		for _, in := range ev.Unpacked() {
			e.keys.openEvent(ctx, &in)
			out = append(out, in)
		}
	}
	return out, nil
}
