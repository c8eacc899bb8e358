package natsd

import (
	"fmt"
	"log/slog"
)

// logAdapter sends the server's notices to slog (debug) and its warnings
// and errors as such.
type logAdapter struct{ log *slog.Logger }

func (l logAdapter) Noticef(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l logAdapter) Warnf(format string, v ...any)   { l.log.Warn(fmt.Sprintf(format, v...)) }
func (l logAdapter) Fatalf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l logAdapter) Errorf(format string, v ...any)  { l.log.Error(fmt.Sprintf(format, v...)) }
func (l logAdapter) Debugf(format string, v ...any)  {}
func (l logAdapter) Tracef(format string, v ...any)  {}
