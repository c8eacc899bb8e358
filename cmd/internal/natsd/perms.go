package natsd

import (
	"github.com/nats-io/nats-server/v2/server"

	"github.com/kaskade-bcm/kaskade/activation/engine"
)

// ServiceInboxPrefix is the inbox of Kaskade's own connection. It is not
// _INBOX, which declarers may read to get their replies: JetStream delivers
// the event log to Kaskade's inboxes.
const ServiceInboxPrefix = "_KASKADE_INBOX"

// Permissions returns what an identity of role may do, for the subjects of
// layout. Publish and subscribe are allow lists; the denials say the same
// once more for the subjects that matter most.
func Permissions(layout engine.Layout, role, name string) *server.Permissions {
	record := []string{layout.InputFilter(), layout.EventsFilter(), "$JS.>", "$KV.>", "$O.>", ServiceInboxPrefix + ".>"}
	switch role {
	case RoleDeclarer:
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{layout.DeclarerSubject(name)}, Deny: record},
			Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}, Deny: record},
		}
	case RoleIntake:
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Allow: []string{layout.CAPSenderSubject(name)}, Deny: record},
			Subscribe: &server.SubjectPermission{Allow: []string{"_INBOX.>"}, Deny: record},
		}
	case RoleObserver:
		return &server.Permissions{
			Publish:   &server.SubjectPermission{Deny: []string{">"}},
			Subscribe: &server.SubjectPermission{Allow: []string{layout.ReadinessFilter()}, Deny: record},
		}
	}
	// Unknown roles may do nothing (ListUsers refuses them anyway).
	return &server.Permissions{Publish: &server.SubjectPermission{Deny: []string{">"}},
		Subscribe: &server.SubjectPermission{Deny: []string{">"}}}
}

// nkeyUsers are the server's users: Kaskade itself, which may do anything
// (JetStream API, KV, inputs, events, its inboxes), and the other systems.
func nkeyUsers(layout engine.Layout, service string, users []User) []*server.NkeyUser {
	out := []*server.NkeyUser{{Nkey: service, Permissions: &server.Permissions{
		Publish: &server.SubjectPermission{Allow: []string{">"}}, Subscribe: &server.SubjectPermission{Allow: []string{">"}}}}}
	for _, u := range users {
		out = append(out, &server.NkeyUser{Nkey: u.PublicKey, Permissions: Permissions(layout, u.Role, u.Name)})
	}
	return out
}
