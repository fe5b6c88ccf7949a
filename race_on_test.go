//go:build race

package zmq_test

// raceEnabled scales heavy tests down under the race detector, which makes
// them several times slower; they never scale to zero.
const raceEnabled = true
