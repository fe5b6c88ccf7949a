//go:build !unix

package main

import "time"

// cpuTime is not measured where getrusage does not exist: CPU columns read 0.
func cpuTime() time.Duration { return 0 }
