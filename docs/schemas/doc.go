// Package schemas holds the JSON Schemas (2020-12) of Kaskade's NATS
// messages: declaration, declaration reply, readiness feed and events. Its
// test checks them against messages the real code produces.
package schemas
