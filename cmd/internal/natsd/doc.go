// Package natsd owns Kaskade's NATS connection: the embedded server with its
// identities and TLS, the client options for an external cluster, and the
// redaction of credentials in NATS URLs.
//
// The embedded server always requires authentication. Kaskade's own nkey
// (the service identity, <data>/nats/service.nk) may do anything; other
// systems get nkeys recorded in <data>/nats/users.json with a role:
//
//	declarer NAME: publish kaskade.incidents.declare.NAME, subscribe _INBOX.>
//	observer:      subscribe kaskade.readiness.>
//
// Kaskade's connections use the inbox prefix _KASKADE_INBOX, so a declarer
// reading _INBOX.> sees no JetStream deliveries. Changes to users.json apply
// without a restart (polled, and on SIGHUP); revoked identities are cut off.
//
// The JetStream store is encrypted at rest (storekey.go): the key comes from
// $KASKADE_STORE_KEY, --store-key-file or <data>/nats/store.key, and
// <data>/nats/store.check makes a start with another key fail.
package natsd
