// Package backup owns Kaskade's backup, restore and verify: every stream of
// Kaskade's layout (the event log, inputs, declarations) and the streams
// behind its KV buckets and object store, message by message with subject,
// headers, data and sequence, in a directory with a manifest of counts and
// SHA-256 sums. Restore rebuilds them in an empty JetStream with the same
// sequences (the core and its snapshots refer to them) and the durable
// consumers at their acknowledged positions, then verifies the result.
//
// Layout of a backup directory:
//
//	manifest.json               version, streams (config, consumers, counts, hashes), files
//	streams/<STREAM>.jsonl      one message per line: seq, subject, time, headers, data (base64)
//	files/nats/users.json       other systems' identities (public keys only), with --data
package backup
