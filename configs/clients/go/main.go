// Command next-id asks an idcoord sidecar for 3 IDs and prints them, one per
// line: go run ./configs/clients/go /run/idcoord/idcoord.sock
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/idcoord/idcoord/sidecar/client"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: next-id SOCKET")
		os.Exit(2)
	}
	ids, err := nextIDs(os.Args[1], 3)
	if err != nil {
		fmt.Fprintf(os.Stderr, "next-id: %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
	for _, id := range ids {
		fmt.Println(id)
	}
}

// nextIDs asks the sidecar listening on socket for n IDs.
func nextIDs(socket string, n int) ([]int64, error) {
	// A Client keeps a pool of connections and is safe for concurrent use:
	// a real app makes one at start-up and shares it.
	c, err := client.Dial(socket)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// An error wrapping client.ErrUnavailable means the sidecar cannot issue
	// IDs safely right now (not ready); ask again later.
	return c.NextIDs(ctx, n)
}
