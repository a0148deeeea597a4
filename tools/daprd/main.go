// Command daprd is the Dapr sidecar as this project runs it: the upstream daprd with the stable
// component set, plus the SQLite name resolver so that service invocation works on one machine
// where multicast DNS is unavailable.
package main

import (
	"github.com/dapr/components-contrib/nameresolution/sqlite"
	"github.com/dapr/dapr/cmd/daprd/app"
	_ "github.com/dapr/dapr/cmd/daprd/components"
	nameresolution "github.com/dapr/dapr/pkg/components/nameresolution"
)

func init() {
	nameresolution.DefaultRegistry.RegisterComponent(sqlite.NewResolver, "sqlite")
}

func main() {
	app.Run()
}
