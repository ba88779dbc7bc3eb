package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

type appRole struct {
	name            string
	roleID          string
	bindSecretID    bool
	secretIDNumUses int
	secretIDTTL     time.Duration
	tokenTTL        time.Duration
	tokenMaxTTL     time.Duration
	tokenPolicies   []string
	tokenNumUses    int
	tokenPeriod     time.Duration
	secretIDs       map[string]*secretID // by secret id
}

type secretID struct {
	id       string
	accessor string
	numUses  int
	created  time.Time
	expire   time.Time
	metadata map[string]string
}

type appRoleBackend struct{ roles map[string]*appRole }

func newAppRoleBackend() *appRoleBackend { return &appRoleBackend{roles: map[string]*appRole{}} }

func (b *appRoleBackend) byRoleID(id string) *appRole {
	for _, r := range b.roles {
		if r.roleID == id {
			return r
		}
	}
	return nil
}

// routeAppRole serves auth/<mount>/*.
func (s *Server) routeAppRole(req *request, m *Mount, rest string) *resp {
	b := m.approle
	if b == nil {
		return errResp(404, errUnsupportedP)
	}
	if rest == "login" {
		if req.op != "update" {
			return unsupportedOp()
		}
		return s.appRoleLogin(req, m)
	}
	if rest == "role" || rest == "role/" {
		if req.op != "list" {
			return unsupportedOp()
		}
		if len(b.roles) == 0 {
			return notFound()
		}
		return ok(map[string]any{"keys": sortedKeys(b.roles)})
	}
	after, isRole := strings.CutPrefix(rest, "role/")
	if !isRole {
		return errResp(404, errUnsupportedP)
	}
	name, sub, _ := strings.Cut(after, "/")
	name = strings.ToLower(name)
	role := b.roles[name]
	switch sub {
	case "":
		return s.appRoleCRUD(req, b, name, role)
	case "role-id":
		if role == nil {
			if req.op == "read" {
				return notFound()
			}
			return errResp(404, fmt.Sprintf("role name %q doesn't exist", name))
		}
		switch req.op {
		case "read":
			return ok(map[string]any{"role_id": role.roleID})
		case "update":
			id := stringField(req.data, "role_id")
			if id == "" {
				return badRequest("missing role_id")
			}
			if other := b.byRoleID(id); other != nil && other != role {
				return badRequest("role_id already in use")
			}
			role.roleID = id
			return noContent()
		}
		return unsupportedOp()
	case "secret-id":
		if role == nil {
			return errResp(404, fmt.Sprintf("role %q does not exist", name))
		}
		switch req.op {
		case "update":
			return s.appRoleSecretID(req, role)
		case "list":
			keys := []string{}
			for _, sid := range role.secretIDs {
				keys = append(keys, sid.accessor)
			}
			if len(keys) == 0 {
				return notFound()
			}
			slices.Sort(keys)
			return ok(map[string]any{"keys": keys})
		}
		return unsupportedOp()
	case "secret-id/lookup", "secret-id/destroy":
		if role == nil {
			return errResp(404, fmt.Sprintf("role %q does not exist", name))
		}
		sid := role.secretIDs[stringField(req.data, "secret_id")]
		if sub == "secret-id/destroy" {
			if sid != nil {
				delete(role.secretIDs, sid.id)
			}
			return noContent()
		}
		if sid == nil || s.secretIDExpired(sid) {
			return noContent()
		}
		return ok(secretIDInfo(sid))
	}
	return errResp(404, errUnsupportedP)
}

func (s *Server) secretIDExpired(sid *secretID) bool {
	return !sid.expire.IsZero() && !s.now().Before(sid.expire)
}

func secretIDInfo(sid *secretID) map[string]any {
	return map[string]any{
		"secret_id_accessor": sid.accessor, "secret_id_num_uses": sid.numUses,
		"secret_id_ttl": seconds(durationOrZero(sid.created, sid.expire)), "metadata": sid.metadata,
		"creation_time": formatTime(sid.created), "expiration_time": formatTime(sid.expire),
		"cidr_list": []string{}, "token_bound_cidrs": []string{},
	}
}

func durationOrZero(from, to time.Time) time.Duration {
	if to.IsZero() {
		return 0
	}
	return to.Sub(from)
}

func (s *Server) appRoleCRUD(req *request, b *appRoleBackend, name string, role *appRole) *resp {
	switch req.op {
	case "read":
		if role == nil {
			return notFound()
		}
		return ok(map[string]any{
			"bind_secret_id": role.bindSecretID, "secret_id_num_uses": role.secretIDNumUses,
			"secret_id_ttl": seconds(role.secretIDTTL), "token_ttl": seconds(role.tokenTTL),
			"token_max_ttl": seconds(role.tokenMaxTTL), "token_policies": role.tokenPolicies,
			"policies": role.tokenPolicies, "token_num_uses": role.tokenNumUses,
			"token_period": seconds(role.tokenPeriod), "period": seconds(role.tokenPeriod),
			"token_type": "default", "local_secret_ids": false, "secret_id_bound_cidrs": nil,
			"token_bound_cidrs": []string{}, "token_no_default_policy": false,
			"token_explicit_max_ttl": 0,
		})
	case "delete":
		delete(b.roles, name)
		return noContent()
	case "create", "update":
	default:
		return unsupportedOp()
	}
	if role == nil {
		role = &appRole{name: name, roleID: newUUID(), bindSecretID: true, secretIDs: map[string]*secretID{}}
	}
	next := *role
	d := req.data
	var bad *resp
	if next.bindSecretID, bad = boolField(d, "bind_secret_id", role.bindSecretID); bad != nil {
		return bad
	}
	for _, f := range []struct {
		key string
		dst *time.Duration
	}{
		{"secret_id_ttl", &next.secretIDTTL}, {"token_ttl", &next.tokenTTL},
		{"token_max_ttl", &next.tokenMaxTTL}, {"period", &next.tokenPeriod}, {"token_period", &next.tokenPeriod},
	} {
		if _, present := d[f.key]; present {
			if *f.dst, bad = durationField(d, f.key); bad != nil {
				return bad
			}
		}
	}
	for _, f := range []struct {
		key string
		dst *int
	}{{"secret_id_num_uses", &next.secretIDNumUses}, {"token_num_uses", &next.tokenNumUses}} {
		n, present, bad := intField(d, f.key)
		if bad != nil {
			return bad
		}
		if present {
			if n < 0 {
				return badRequest("%s cannot be negative", f.key)
			}
			*f.dst = n
		}
	}
	for _, key := range []string{"policies", "token_policies"} {
		if v, present := d[key]; present {
			next.tokenPolicies = sanitizePolicies(stringList(v), false)
		}
	}
	if next.tokenPolicies == nil {
		next.tokenPolicies = []string{}
	}
	if next.tokenMaxTTL > 0 && next.tokenTTL > next.tokenMaxTTL {
		return badRequest("\"token_ttl\" value must be less than \"token_max_ttl\" value")
	}
	if !next.bindSecretID {
		return badRequest("at least one constraint should be enabled on the role")
	}
	if id := stringField(d, "role_id"); id != "" {
		next.roleID = id
	}
	b.roles[name] = &next
	return noContent()
}

func (s *Server) appRoleSecretID(req *request, role *appRole) *resp {
	now := s.now()
	sid := &secretID{id: newUUID(), accessor: newUUID(), numUses: role.secretIDNumUses, created: now}
	if n, present, bad := intField(req.data, "num_uses"); bad != nil {
		return bad
	} else if present {
		if role.secretIDNumUses > 0 && (n == 0 || n > role.secretIDNumUses) {
			return badRequest("num_uses cannot be higher than the role's secret_id_num_uses")
		}
		sid.numUses = n
	}
	ttl := role.secretIDTTL
	if v, present := req.data["ttl"]; present && v != nil {
		d, bad := durationField(req.data, "ttl")
		if bad != nil {
			return bad
		}
		if role.secretIDTTL > 0 && (d == 0 || d > role.secretIDTTL) {
			return badRequest("ttl cannot be longer than the role's secret_id_ttl")
		}
		ttl = d
	}
	if ttl > 0 {
		sid.expire = now.Add(ttl)
	}
	sid.metadata = map[string]string{}
	if raw := stringField(req.data, "metadata"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &sid.metadata); err != nil {
			return badRequest("failed to parse metadata: %v", err)
		}
	}
	role.secretIDs[sid.id] = sid
	return ok(map[string]any{
		"secret_id": sid.id, "secret_id_accessor": sid.accessor,
		"secret_id_ttl": seconds(ttl), "secret_id_num_uses": sid.numUses,
	})
}

func (s *Server) appRoleLogin(req *request, m *Mount) *resp {
	roleID := strings.TrimSpace(stringField(req.data, "role_id"))
	if roleID == "" {
		return badRequest("missing role_id")
	}
	role := m.approle.byRoleID(roleID)
	if role == nil {
		return badRequest("invalid role or secret ID")
	}
	meta := map[string]string{}
	if role.bindSecretID {
		given := strings.TrimSpace(stringField(req.data, "secret_id"))
		if given == "" {
			return badRequest("missing secret_id")
		}
		sid := role.secretIDs[given]
		if sid == nil || s.secretIDExpired(sid) {
			if sid != nil {
				delete(role.secretIDs, given)
			}
			return badRequest("invalid role or secret ID")
		}
		if sid.numUses > 0 {
			sid.numUses--
			if sid.numUses == 0 {
				delete(role.secretIDs, given)
			}
		}
		for k, v := range sid.metadata {
			meta[k] = v
		}
	}
	meta["role_name"] = role.name
	now := s.now()
	t := &Token{
		Policies: sanitizePolicies(role.tokenPolicies, true), NS: req.ns, Created: now,
		Renewable: true, NumUses: role.tokenNumUses, Period: role.tokenPeriod,
		MaxTTL: role.tokenMaxTTL, Path: "auth/" + m.Path + "login", DisplayName: strings.TrimSuffix(m.Path, "/"),
		Meta: meta, Orphan: true, RoleName: role.name,
	}
	var warnings []string
	switch {
	case role.tokenPeriod > 0:
		t.TTL = role.tokenPeriod
	default:
		t.TTL = role.tokenTTL
		if t.TTL == 0 {
			t.TTL = defaultLeaseTTL
		}
		maxTTL := role.tokenMaxTTL
		if maxTTL == 0 || maxTTL > maxLeaseTTL {
			maxTTL = maxLeaseTTL
		}
		if t.TTL > maxTTL {
			warnings = append(warnings, "TTL of \""+t.TTL.String()+"\" exceeded the effective max_ttl of \""+maxTTL.String()+"\"; TTL value is capped accordingly")
			t.TTL = maxTTL
		}
	}
	t.Expire = now.Add(t.TTL)
	s.addToken(t)
	auth := authBlock(t, t.TTL)
	auth["token_policies"] = t.Policies
	return &resp{status: 200, auth: auth, warnings: warnings}
}
