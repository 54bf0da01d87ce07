//go:build race

package localmodel_test

// raceEnabled: tests that draw thousands of samples draw fewer under the
// race detector, which slows them tenfold.
const raceEnabled = true
