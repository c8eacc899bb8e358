package main

import (
	"context"
	"io"
)

func devCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return usageError{"usage: kaskade dev fake-twilio [--addr 127.0.0.1:8089]"}
}
