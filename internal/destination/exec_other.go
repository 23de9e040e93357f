//go:build !unix

package destination

import "os/exec"

// killGroupOnCancel leaves exec.CommandContext's default, which kills the
// command alone: process groups are a Unix notion.
func killGroupOnCancel(*exec.Cmd) {}
