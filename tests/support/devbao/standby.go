package main

import (
	"encoding/json"
	"net/http"
	"strings"
)

// standbyHandler answers like an OpenBao standby node whose request forwarding is off:
// sys/health reports standby (429 by default, as http/sys_health.go does) and every other API
// request is redirected with 307 to the active node, path and query kept. It holds no state.
func standbyHandler(active string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if strings.TrimPrefix(r.URL.Path, "/v1/") == "sys/health" {
			code := http.StatusTooManyRequests
			if r.URL.Query().Has("standbyok") {
				code = http.StatusOK
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(map[string]any{
				"initialized": true, "sealed": false, "standby": true, "performance_standby": false,
				"version": Version, "cluster_name": "devbao-cluster",
			})
			return
		}
		http.Redirect(w, r, active+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	})
}
