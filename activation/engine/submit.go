package engine

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// Submit appends an input for the engine and returns its input sequence.
// msgID, when set, deduplicates retries of the same input.
func (e *Engine) Submit(ctx context.Context, in activation.Input, msgID string) (uint64, error) {
	return SubmitInput(ctx, e.opts.JS, e.opts.Layout, in, msgID)
}

// SubmitInput publishes an input without an engine at hand.
func SubmitInput(ctx context.Context, js jetstream.JetStream, l Layout, in activation.Input, msgID string) (uint64, error) {
	data, err := json.Marshal(in)
	if err != nil {
		return 0, fmt.Errorf("engine: encode input: %w", err)
	}
	msg := nats.NewMsg(l.InputSubject(in.Incident, in.Kind()))
	if len(data) > compressAbove {
		// A declaration carries every plan: 100,000 recipients are about
		// 11 MB of JSON, beyond NATS' max payload (1 MB by default).
		if data, err = gzipBytes(data); err != nil {
			return 0, fmt.Errorf("engine: compress input: %w", err)
		}
		msg.Header.Set(encodingHeader, "gzip")
	}
	msg.Data = data
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	ack, err := js.PublishMsg(ctx, msg, opts...)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return ack.Sequence, nil
}

// batchHeader marks an input message that carries a JSON array of inputs
// (delivery reports batched by the dispatcher). They are decided one by one
// in the same decision and share the message's sequence.
const batchHeader = "Kaskade-Inputs"

// SubmitInputs publishes several inputs as one message; its id is derived
// from the content, so a retry of the same batch is deduplicated.
func SubmitInputs(ctx context.Context, js jetstream.JetStream, l Layout, ins []activation.Input) (uint64, error) {
	data, err := json.Marshal(ins)
	if err != nil {
		return 0, fmt.Errorf("engine: encode inputs: %w", err)
	}
	msg := nats.NewMsg(l.InputSubject(ins[0].Incident, "inputs"))
	sum := sha256.Sum256(data)
	msg.Header.Set(batchHeader, strconv.Itoa(len(ins)))
	if len(data) > compressAbove {
		if data, err = gzipBytes(data); err != nil {
			return 0, fmt.Errorf("engine: compress inputs: %w", err)
		}
		msg.Header.Set(encodingHeader, "gzip")
	}
	msg.Data = data
	ack, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID("inputs-"+hex.EncodeToString(sum[:16])))
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return ack.Sequence, nil
}

// decodeInputs returns the inputs of an input message (one, or a batch).
func decodeInputs(m jetstream.Msg) ([]activation.Input, error) {
	data, err := inputData(m)
	if err != nil {
		return nil, err
	}
	if m.Headers().Get(batchHeader) != "" {
		var ins []activation.Input
		if err := json.Unmarshal(data, &ins); err != nil {
			return nil, err
		}
		return ins, nil
	}
	var in activation.Input
	if err := json.Unmarshal(data, &in); err != nil {
		return nil, err
	}
	return []activation.Input{in}, nil
}

// compressAbove is the input size above which inputs are gzipped on the
// stream (marked with the encodingHeader).
const compressAbove = 128 << 10

const encodingHeader = "Kaskade-Encoding"

func gzipBytes(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(data) / 8)
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// inputData returns an input message's JSON, decompressed when needed.
func inputData(m jetstream.Msg) ([]byte, error) {
	if m.Headers().Get(encodingHeader) != "gzip" {
		return m.Data(), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(m.Data()))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	return io.ReadAll(io.LimitReader(zr, 1<<30))
}

// WaitInput blocks until the input with sequence seq has been applied (on
// this instance's projection), so a caller can answer with the outcome.
func (e *Engine) WaitInput(ctx context.Context, seq uint64) error {
	for {
		e.mu.RLock()
		done, ch := e.inputPersisted(seq), e.progress
		e.mu.RUnlock()
		if done {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
