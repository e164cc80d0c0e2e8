package e2e

import (
	"net/http"

	"github.com/figbot/figbot/fakes/figmafake"
)

func figmafakeFault403() figmafake.Fault {
	return figmafake.Fault{Status: http.StatusForbidden, Body: `{"status":403,"err":"Invalid token"}`,
		Times: 1}
}
