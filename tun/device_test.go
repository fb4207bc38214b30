package tun_test

import (
	"github.com/vpcsim/vpcsim/router"
	"github.com/vpcsim/vpcsim/tun"
)

// The routers read and write hosts through tun.Device.
var _ router.Device = (*tun.Device)(nil)
