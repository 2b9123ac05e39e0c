package testproc

import (
	"fmt"
	"io"
	"os"
)

// LogTail returns the last few KiB of the log file at path, for failure
// messages; a missing or unreadable file gives a note saying so.
func LogTail(path string) string {
	return readLog(path, -1, logTailBytes)
}

// readLog reads up to limit bytes of the file at path from offset from, or
// the last limit bytes when from is negative.
func readLog(path string, from int64, limit int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer f.Close()
	if from < 0 {
		if fi, err := f.Stat(); err == nil {
			from = max(fi.Size()-limit, 0)
		}
	}
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	return string(b)
}
