package topology

import (
	"errors"
	"os"
)

// Load reads and parses the topology file at path.
func Load(path string) (*Topology, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse parses a topology file's contents; file names it in errors.
// The error is an ErrorList holding every problem found.
func Parse(file string, data []byte) (*Topology, error) {
	return nil, errors.New("not implemented")
}
