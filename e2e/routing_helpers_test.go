package e2e

import (
	"net/http"

	"github.com/figbot/figbot/fakes/figmafake"
)

func figmafakeFault403() figmafake.Fault {
	return figmafake.Fault{Status: http.StatusForbidden, Body: `{"status":403,"err":"Invalid token"}`,
		Times: 1}
}

func figmafakeFile(key string) figmafake.File {
	return figmafake.File{Key: key, Name: "Other", Version: "201",
		Nodes: []figmafake.Node{{ID: nodeID, Name: "Other", Type: "FRAME", W: 200, H: 200}}}
}
