package main

import (
	"strconv"
	"strings"
)

// routeSys serves sys/*.
func (s *Server) routeSys(req *request) *resp {
	p := strings.TrimPrefix(strings.TrimPrefix(req.path, "sys"), "/")
	head, rest, _ := strings.Cut(p, "/")
	switch head {
	case "health":
		return s.health(req)
	case "seal-status":
		if req.op != "read" {
			return unsupportedOp()
		}
		return &resp{status: 200, raw: s.sealStatus()}
	case "seal":
		if req.op != "update" {
			return unsupportedOp()
		}
		s.sealed = true
		return noContent()
	case "unseal":
		return s.unseal(req)
	case "leader":
		return &resp{status: 200, raw: map[string]any{
			"ha_enabled": false, "is_self": false, "active_time": "0001-01-01T00:00:00Z",
			"leader_address": "", "leader_cluster_address": "", "performance_standby": false,
			"performance_standby_last_remote_wal": 0,
		}}
	case "mounts":
		return s.handleMountTable(req, rest, false)
	case "auth":
		return s.handleMountTable(req, rest, true)
	case "internal":
		if after, isUI := strings.CutPrefix(rest, "ui/mounts"); isUI {
			return s.handleUIMounts(req, strings.TrimPrefix(after, "/"))
		}
	case "policies":
		if after, isACL := strings.CutPrefix(rest, "acl"); isACL {
			return s.handlePolicy(req, strings.TrimPrefix(after, "/"), false)
		}
	case "policy":
		return s.handlePolicy(req, rest, true)
	case "namespaces":
		return s.handleNamespaces(req, rest)
	case "quotas":
		return s.handleQuotas(req, rest)
	case "audit":
		return s.handleAudit(req, rest)
	case "audit-hash":
		return s.handleAuditHash(req, rest)
	case "wrapping":
		return s.handleWrapping(req, rest)
	case "capabilities-self":
		return s.handleCapabilities(req, true)
	case "capabilities":
		return s.handleCapabilities(req, false)
	}
	return errResp(404, errUnsupportedP)
}

// health mirrors http/sys_health.go: devbao is never a standby, always initialized.
func (s *Server) health(req *request) *resp {
	if req.op != "read" {
		return errResp(405)
	}
	codes := map[string]int{"activecode": 200, "sealedcode": 503}
	for _, name := range []string{"activecode", "sealedcode", "standbycode", "uninitcode", "perfstandbyok", "standbyok"} {
		v, present := req.data[name]
		if !present || name == "standbyok" || name == "perfstandbyok" {
			continue
		}
		n, err := strconv.Atoi(stringField(map[string]any{"v": v}, "v"))
		if err != nil {
			return errResp(400)
		}
		codes[name] = n
	}
	body := map[string]any{
		"initialized": true, "sealed": s.sealed, "standby": s.sealed, "performance_standby": false,
		"replication_performance_mode": "disabled", "replication_dr_mode": "disabled",
		"server_time_utc": s.now().Unix(), "version": Version,
	}
	status := codes["activecode"]
	if s.sealed {
		status = codes["sealedcode"]
	} else {
		body["cluster_name"], body["cluster_id"] = s.clusterName, s.clusterID
	}
	return &resp{status: status, raw: body}
}

func (s *Server) sealStatus() map[string]any {
	return map[string]any{
		"type": "shamir", "initialized": true, "sealed": s.sealed, "t": 1, "n": 1, "progress": 0,
		"nonce": "", "version": Version, "build_date": "2026-01-01T00:00:00Z", "migration": false,
		"cluster_name": s.clusterName, "cluster_id": s.clusterID, "recovery_seal": false,
		"storage_type": "inmem",
	}
}

func (s *Server) unseal(req *request) *resp {
	if req.op != "update" {
		return unsupportedOp()
	}
	reset, bad := boolField(req.data, "reset", false)
	if bad != nil {
		return bad
	}
	if !reset && stringField(req.data, "key") == "" {
		return badRequest("'key' must be specified in request body as JSON, or 'reset' set to true")
	}
	if !reset {
		// Dev mode has one key share; devbao accepts any key.
		s.sealed = false
	}
	return &resp{status: 200, raw: s.sealStatus()}
}
