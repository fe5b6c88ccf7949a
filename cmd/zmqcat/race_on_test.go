//go:build race

package main

// raceEnabled makes TestMain build the zmqcat binary with -race too.
const raceEnabled = true
