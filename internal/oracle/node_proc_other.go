//go:build !unix

package oracle

import "os/exec"

// setProcessGroup: the oracle needs Linux; elsewhere the command is only
// killed itself on timeout.
func setProcessGroup(cmd *exec.Cmd) {}
