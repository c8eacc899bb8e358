// Package ack owns one-click acknowledgement for staff members: compact,
// signed, expiring tokens that bind an answer link to one person in one
// incident (Signer), and the small HTML pages behind /ack/{token} that show
// the incident and record an answer only on an explicit POST (NewHandler).
//
// A GET never records anything: mail security scanners open links.
package ack
