package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
)

// personCmd answers access requests: "person export ID" fetches what the
// running server holds about a person (admin token) as JSON. It asks the
// server rather than reading the log, so it needs no NATS identity and
// works the same with the embedded server and an external cluster.
func personCmd(ctx context.Context, args []string, stdout io.Writer) error {
	const use = "usage: kaskade person export ID [-o FILE] | person erase ID --reason TEXT"
	if len(args) > 0 && args[0] == "erase" {
		return personEraseCmd(ctx, args[1:], stdout) // personerase.go
	}
	if len(args) == 0 || args[0] != "export" {
		return usageError{use}
	}
	fs := flag.NewFlagSet("person export", flag.ContinueOnError)
	connect := clientFlags(fs)
	out := fs.String("o", "-", "write to this file, mode 0600 (default: stdout)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{use}
	}
	c, err := connect()
	if err != nil {
		return err
	}
	data, err := c.raw(ctx, "/api/v1/people/"+url.PathEscape(fs.Arg(0))+"/export")
	if err != nil {
		return err
	}
	if *out == "-" {
		_, err = stdout.Write(data)
		return err
	}
	if err := os.WriteFile(*out, data, 0o600); err != nil {
		return fmt.Errorf("person export: %w", err)
	}
	fmt.Fprintf(stdout, "geschrieben: %s (%d Bytes)\n", *out, len(data))
	return nil
}
