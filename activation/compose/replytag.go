package compose

// replyTag is the signed tag of the email reply address, bound to the
// notification and its person; without a signer there is none, and no
// email reply can be attributed.
func (c *Composer) replyTag(notification, person string) string {
	if c.opts.Signer == nil {
		return ""
	}
	return c.opts.Signer.ReplyTag(notification, person)
}
