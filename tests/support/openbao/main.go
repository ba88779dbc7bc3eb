// Command bao is OpenBao's own CLI and server, built from its published Go module so that
// integration tests run against the real thing.
package main

import (
	"os"

	"github.com/openbao/openbao/command"
)

func main() {
	os.Exit(command.Run(os.Args[1:]))
}
