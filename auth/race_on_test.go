//go:build race

package auth_test

// raceEnabled scales the heavy tests down under the race detector, which
// makes them several times slower; they never scale below their floor.
const raceEnabled = true
