package main

import (
	"fmt"
	"strings"
)

// Mount is a secrets engine or auth method mount.
type Mount struct {
	Path        string // with trailing slash, relative to its table
	Type        string
	Description string
	Accessor    string
	UUID        string
	Options     map[string]string
	kv1         *kv1Store
	kv2         *kv2Store
	approle     *appRoleBackend
}

func newMount(path, typ, description string, options map[string]string) *Mount {
	m := &Mount{
		Path: path, Type: typ, Description: description, UUID: newUUID(),
		Accessor: typ + "_" + randomString(8), Options: options,
	}
	switch typ {
	case "kv", "kv-v2", "generic":
		if m.Type == "kv-v2" {
			m.Type, m.Options = "kv", map[string]string{"version": "2"}
		}
		if m.Options == nil {
			m.Options = map[string]string{"version": "1"}
		}
		if m.Options["version"] == "2" {
			m.kv2 = newKV2Store()
		} else {
			m.Options["version"] = "1"
			m.kv1 = newKV1Store()
		}
	case "approle":
		m.approle = newAppRoleBackend()
	}
	return m
}

func (m *Mount) kvVersion() int {
	if m.kv2 != nil {
		return 2
	}
	return 1
}

func (m *Mount) info() map[string]any {
	var opts any
	if m.Options != nil {
		o := map[string]any{}
		for k, v := range m.Options {
			o[k] = v
		}
		opts = o
	}
	return map[string]any{
		"type": m.Type, "description": m.Description, "accessor": m.Accessor, "uuid": m.UUID,
		"options": opts, "local": false, "seal_wrap": false, "external_entropy_access": false,
		"plugin_version": "", "running_plugin_version": "", "running_sha256": "",
		"config": map[string]any{"default_lease_ttl": 0, "max_lease_ttl": 0, "force_no_cache": false},
	}
}

func normalizeMountPath(p string) string {
	p = strings.Trim(p, "/")
	if p == "" {
		return ""
	}
	return p + "/"
}

// sys/mounts, sys/mounts/<path>, sys/auth, sys/auth/<path>
func (s *Server) handleMountTable(req *request, rest string, auth bool) *resp {
	table := req.ns.mounts
	if auth {
		table = req.ns.auths
	}
	path := normalizeMountPath(rest)
	if path == "" {
		if req.op != "read" {
			return unsupportedOp()
		}
		data := map[string]any{}
		for k, m := range table {
			data[k] = m.info()
		}
		out := ok(data)
		out.topLevel = true
		return out
	}
	if strings.HasSuffix(path, "/tune/") {
		m := table[strings.TrimSuffix(path, "tune/")]
		if m == nil {
			return badRequest("cannot fetch sysview for path %q", strings.TrimSuffix(path, "tune/"))
		}
		if req.op == "read" {
			return ok(map[string]any{"default_lease_ttl": 2764800, "max_lease_ttl": 2764800, "force_no_cache": false, "options": m.info()["options"], "description": m.Description})
		}
		return noContent()
	}
	existing := table[path]
	switch req.op {
	case "read":
		if existing == nil {
			return badRequest("no matching mount at %q", path)
		}
		return ok(existing.info())
	case "update":
		typ := stringField(req.data, "type")
		if existing != nil {
			return badRequest("path is already in use at %s", path)
		}
		if auth {
			if typ != "approle" {
				return badRequest("plugin not found in the catalog: %s", typ)
			}
		} else {
			switch typ {
			case "kv", "kv-v2", "generic":
			case "":
				return badRequest("plugin not found in the catalog: ")
			default:
				return badRequest("plugin not found in the catalog: %s", typ)
			}
			for other := range table {
				if strings.HasPrefix(path, other) || strings.HasPrefix(other, path) {
					return badRequest("path is already in use at %s", other)
				}
			}
			if path == "auth/" || path == "sys/" || path == "cubbyhole/" || path == "identity/" {
				return badRequest("cannot mount %q of type %q as it's reserved", path, typ)
			}
		}
		var options map[string]string
		if o, isMap := req.data["options"].(map[string]any); isMap {
			options = map[string]string{}
			for k, v := range o {
				options[k] = fmt.Sprint(v)
			}
		}
		if typ == "kv" && options != nil && options["version"] != "" && options["version"] != "1" && options["version"] != "2" {
			return badRequest("invalid kv version %q", options["version"])
		}
		table[path] = newMount(path, typ, stringField(req.data, "description"), options)
		return noContent()
	case "delete":
		if existing == nil {
			return noContent()
		}
		if existing.Type == "system" || existing.Type == "cubbyhole" || existing.Type == "identity" || existing.Type == "token" {
			return badRequest("cannot unmount %q", path)
		}
		delete(table, path)
		if auth {
			// Tokens issued by this auth mount go with it.
			for _, t := range s.tokens {
				if t.NS == req.ns && strings.HasPrefix(t.Path, "auth/"+path) {
					s.revokeToken(t, true)
				}
			}
		}
		return noContent()
	}
	return unsupportedOp()
}

// sys/internal/ui/mounts[/<path>]: answers when the caller has any access under the mount,
// and otherwise 403 so the endpoint cannot be used to discover mounts.
func (s *Server) handleUIMounts(req *request, rest string) *resp {
	if rest == "" {
		secret, auth := map[string]any{}, map[string]any{}
		for k, m := range req.ns.mounts {
			if s.canSeeMount(req, k) {
				secret[k] = m.info()
			}
		}
		for k, m := range req.ns.auths {
			if s.canSeeMount(req, "auth/"+k) {
				auth[k] = m.info()
			}
		}
		return ok(map[string]any{"secret": secret, "auth": auth})
	}
	path := normalizeMountPath(rest)
	denied := errResp(403, fmt.Sprintf("preflight capability check returned 403, please ensure client's policies grant access to path %q", path))
	var m *Mount
	var prefix string
	if after, isAuth := strings.CutPrefix(path, "auth/"); isAuth {
		m, _ = req.ns.matchAuth(strings.TrimSuffix(after, "/"))
		if m != nil {
			prefix = "auth/" + m.Path
		}
	} else {
		m, _ = req.ns.matchMount(strings.TrimSuffix(path, "/"))
		if m != nil {
			prefix = m.Path
		}
	}
	if m == nil || !s.canSeeMount(req, prefix) {
		return denied
	}
	info := m.info()
	info["path"] = prefix
	return ok(info)
}

// canSeeMount reports whether the request's token has any non-deny capability below prefix.
func (s *Server) canSeeMount(req *request, prefix string) bool {
	t := s.lookupToken(req.rawToken)
	if t == nil || !req.ns.isWithin(t.NS) {
		return false
	}
	if t.isRoot() {
		return true
	}
	rel := relativePath(t.NS, req.ns, prefix)
	for _, rule := range s.mergedRules(t) {
		if rule.deny() || len(rule.caps) == 0 {
			continue
		}
		p := rule.pattern
		if strings.HasPrefix(p, rel) || strings.HasPrefix(rel, strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}
