// Package twiliotest owns a fake of Twilio's Messages API for tests and
// local development, like net/http/httptest for Kaskade's SMS channel. The
// Server answers Create Message and Fetch Message the way Twilio does
// (shapes, error JSON, magic test numbers), can inject throttling, server
// errors, latency and a concurrency limit, records what it accepted, sends
// signed status callbacks, and posts signed inbound SMS to a webhook.
package twiliotest
