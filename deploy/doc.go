// Package deploy holds no code: it owns the operation files beside it (NATS
// cluster configuration, compose, Kubernetes, Prometheus rules, development
// certificates). Its tests check those files with the real parsers: the
// nats-server configuration parser and a server started from it, and YAML.
package deploy
