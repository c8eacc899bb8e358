package natsd

import "os"

// fileStamp tells whether a file changed: its modification time and size
// (the zero stamp when it does not exist).
type fileStamp struct {
	mod  int64 // nanoseconds
	size int64
}

func stat(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{fi.ModTime().UnixNano(), fi.Size()}
}
