//go:build !race

package localmodel_test

const raceEnabled = false
