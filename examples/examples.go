// Package examples holds the example topology files of vpcsim, embedded so
// the binary can launch them without the source tree.
//
// best-practice.yaml is the scenario of the product documentation and the
// topology `vpcsim up` launches when given no file; non-transitive.yaml,
// cross-account.yaml and two-subnets.yaml show non-transitivity, the
// cross-account lifecycle and local routing between subnets.
package examples

import "embed"

// FS holds every example file, by its base name (e.g. "best-practice.yaml").
//
//go:embed *.yaml
var FS embed.FS

// BestPracticeFile is the file name of the best-practice example in FS.
const BestPracticeFile = "best-practice.yaml"

// BestPractice returns the contents of the best-practice example.
func BestPractice() []byte {
	data, err := FS.ReadFile(BestPracticeFile)
	if err != nil {
		// The file is embedded at build time; it cannot be missing.
		panic("examples: " + err.Error())
	}
	return data
}
