package main

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// System TTLs as OpenBao's defaults (32 days).
const (
	defaultLeaseTTL = 768 * time.Hour
	maxLeaseTTL     = 768 * time.Hour
)

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]+`)

// Token is a service token.
type Token struct {
	ID             string
	Accessor       string
	Policies       []string
	NS             *Namespace
	Parent         string
	DisplayName    string
	Path           string
	Meta           map[string]string
	Orphan         bool
	Renewable      bool
	NumUses        int
	Created        time.Time
	Expire         time.Time     // zero: never expires
	TTL            time.Duration // TTL at creation
	ExplicitMaxTTL time.Duration
	MaxTTL         time.Duration // effective max (role/system), 0 = system
	Period         time.Duration
	LastRenewal    time.Time
	RoleName       string
}

func (t *Token) isRoot() bool { return slices.Contains(t.Policies, "root") }

func (s *Server) addToken(t *Token) {
	if t.ID == "" {
		t.ID = newTokenID()
	}
	if t.Accessor == "" {
		t.Accessor = randomString(24)
	}
	s.tokens[t.ID] = t
	s.accessors[t.Accessor] = t
}

// lookupToken returns a live token, dropping it if it has expired.
func (s *Server) lookupToken(id string) *Token {
	t := s.tokens[id]
	if t == nil {
		return nil
	}
	if !t.Expire.IsZero() && !s.now().Before(t.Expire) {
		s.revokeToken(t, true)
		return nil
	}
	return t
}

// revokeToken removes a token and, unless it is an orphan's parent edge, its children.
func (s *Server) revokeToken(t *Token, withChildren bool) {
	delete(s.tokens, t.ID)
	delete(s.accessors, t.Accessor)
	delete(s.cubby, t.ID)
	if !withChildren {
		return
	}
	for _, c := range s.tokens {
		if c.Parent == t.ID {
			s.revokeToken(c, true)
		}
	}
}

// relativePath expresses path (relative to reqNS) relative to the token's namespace, which
// is how policies of a parent namespace address paths in child namespaces.
func relativePath(tokenNS, reqNS *Namespace, path string) string {
	return strings.TrimPrefix(reqNS.Path, tokenNS.Path) + path
}

// Paths that need no token.
func unauthenticated(req *request) bool {
	p := req.path
	switch p {
	case "sys/health", "sys/seal-status", "sys/unseal", "sys/leader", "sys/wrapping/lookup":
		return true
	case "sys/wrapping/unwrap":
		// With a token in the body the caller authenticates normally.
		return stringField(req.data, "token") == ""
	}
	if strings.HasPrefix(p, "sys/internal/ui/mounts") {
		return true
	}
	if after, isAuth := strings.CutPrefix(p, "auth/"); isAuth && !strings.HasPrefix(after, "token/") {
		m, rest := req.ns.matchAuth(after)
		return m != nil && rest == "login"
	}
	return false
}

// Paths that require sudo on top of the operation's capability.
func needsSudo(path string) bool {
	for _, p := range []string{"sys/audit", "sys/seal", "sys/step-down", "sys/rotate", "sys/raw", "sys/config/", "auth/token/revoke-orphan", "auth/token/accessors"} {
		if path == p || strings.HasPrefix(path, p+"/") || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) {
			return true
		}
	}
	return strings.HasPrefix(path, "sys/auth/")
}

// authorize resolves the token and enforces the ACL; nil means go ahead.
func (s *Server) authorize(req *request) *resp {
	if unauthenticated(req) {
		return nil
	}
	if req.rawToken == "" {
		return permissionDenied()
	}
	t := s.lookupToken(req.rawToken)
	if t == nil || !req.ns.isWithin(t.NS) {
		return invalidToken()
	}
	req.token = t
	// OpenBao spends a use before the ACL check, so a denied request still counts.
	if t.NumUses > 0 {
		t.NumUses--
		req.lastUse = t.NumUses == 0
	}
	if t.isRoot() {
		return nil
	}
	path := relativePath(t.NS, req.ns, req.path)
	capability := req.op
	if capability == "update" && !s.exists(req) {
		capability = "create"
	}
	caps := s.capabilities(t, path)
	if !caps[capability] {
		return permissionDenied()
	}
	if needsSudo(req.path) && !caps["sudo"] {
		return permissionDenied()
	}
	return nil
}

func authBlock(t *Token, ttl time.Duration) map[string]any {
	meta := any(nil)
	if t.Meta != nil {
		meta = t.Meta
	}
	return map[string]any{
		"client_token": t.ID, "accessor": t.Accessor, "policies": t.Policies,
		"token_policies": t.Policies, "identity_policies": nil, "metadata": meta,
		"lease_duration": seconds(ttl), "renewable": t.Renewable, "entity_id": "",
		"token_type": "service", "orphan": t.Orphan, "mfa_requirement": nil, "num_uses": t.NumUses,
	}
}

func (s *Server) tokenInfo(t *Token) map[string]any {
	now := s.now()
	var expire any
	ttl := int64(0)
	if !t.Expire.IsZero() {
		expire = formatTime(t.Expire)
		ttl = seconds(t.Expire.Sub(now) + time.Second/2)
	}
	meta := any(nil)
	if t.Meta != nil {
		meta = t.Meta
	}
	info := map[string]any{
		"accessor": t.Accessor, "creation_time": t.Created.Unix(), "creation_ttl": seconds(t.TTL),
		"display_name": t.DisplayName, "entity_id": "", "expire_time": expire,
		"explicit_max_ttl": seconds(t.ExplicitMaxTTL), "id": t.ID, "issue_time": formatTime(t.Created),
		"meta": meta, "num_uses": t.NumUses, "orphan": t.Orphan, "path": t.Path,
		"policies": t.Policies, "renewable": t.Renewable, "ttl": ttl, "type": "service",
		"namespace_path": t.NS.Path,
	}
	if t.Period > 0 {
		info["period"] = seconds(t.Period)
	}
	if !t.LastRenewal.IsZero() {
		info["last_renewal_time"] = t.LastRenewal.Unix()
		info["last_renewal"] = formatTime(t.LastRenewal)
	}
	return info
}

// routeToken serves auth/token/*.
func (s *Server) routeToken(req *request, rest string) *resp {
	switch rest {
	case "create", "create-orphan":
		if req.op != "update" {
			return unsupportedOp()
		}
		return s.createToken(req, rest == "create-orphan")
	case "lookup-self":
		return ok(s.tokenInfo(req.token))
	case "lookup":
		if req.op == "read" {
			return ok(s.tokenInfo(req.token))
		}
		t := s.lookupToken(stringField(req.data, "token"))
		if t == nil || !t.NS.isWithin(req.ns) {
			return errResp(403, "bad token")
		}
		return ok(s.tokenInfo(t))
	case "lookup-accessor":
		t := s.accessors[stringField(req.data, "accessor")]
		if t == nil || s.lookupToken(t.ID) == nil {
			return badRequest("invalid accessor")
		}
		info := s.tokenInfo(t)
		info["id"] = ""
		return ok(info)
	case "renew-self":
		return s.renew(req, req.token)
	case "renew":
		t := s.lookupToken(stringField(req.data, "token"))
		if t == nil {
			return badRequest("token not found")
		}
		return s.renew(req, t)
	case "revoke-self":
		s.revokeToken(req.token, true)
		return noContent()
	case "revoke", "revoke-orphan":
		if t := s.lookupToken(stringField(req.data, "token")); t != nil {
			if rest == "revoke-orphan" {
				for _, c := range s.tokens {
					if c.Parent == t.ID {
						c.Parent, c.Orphan = "", true
					}
				}
			}
			s.revokeToken(t, true)
		}
		return noContent()
	case "revoke-accessor":
		if t := s.accessors[stringField(req.data, "accessor")]; t != nil {
			s.revokeToken(t, true)
		}
		return noContent()
	case "accessors", "accessors/":
		keys := []string{}
		for _, t := range s.tokens {
			if t.NS == req.ns {
				keys = append(keys, t.Accessor)
			}
		}
		sort.Strings(keys)
		return ok(map[string]any{"keys": keys})
	}
	return errResp(404, errUnsupportedP)
}

func (s *Server) createToken(req *request, orphan bool) *resp {
	parent := req.token
	d := req.data
	policies := stringList(d["policies"])
	noDefault, bad := boolField(d, "no_default_policy", false)
	if bad != nil {
		return bad
	}
	renewable, bad := boolField(d, "renewable", true)
	if bad != nil {
		return bad
	}
	noParent, bad := boolField(d, "no_parent", false)
	if bad != nil {
		return bad
	}
	if noParent && !parent.isRoot() && !s.capabilities(parent, relativePath(parent.NS, req.ns, req.path))["sudo"] {
		return badRequest("root or sudo privileges required to create orphan token")
	}
	ttl, bad := durationField(d, "ttl")
	if bad != nil {
		return bad
	}
	if ttl == 0 {
		if ttl, bad = durationField(d, "lease"); bad != nil {
			return bad
		}
	}
	explicitMax, bad := durationField(d, "explicit_max_ttl")
	if bad != nil {
		return bad
	}
	period, bad := durationField(d, "period")
	if bad != nil {
		return bad
	}
	numUses, _, bad := intField(d, "num_uses")
	if bad != nil {
		return bad
	}
	if numUses < 0 {
		return badRequest("number of uses cannot be negative")
	}
	if len(policies) == 0 {
		policies = slices.Clone(parent.Policies)
	}
	policies = sanitizePolicies(policies, !noDefault)
	if slices.Contains(policies, "root") && !parent.isRoot() {
		return badRequest("root tokens may not be created by a non-root token")
	}
	if !parent.isRoot() {
		for _, p := range policies {
			if p != "default" && !slices.Contains(parent.Policies, p) {
				return badRequest("child policies must be subset of parent")
			}
		}
	}
	if slices.Contains(policies, "root") {
		policies = []string{"root"}
	}
	t := &Token{
		Policies: policies, NS: req.ns, Created: s.now(), Renewable: renewable, NumUses: numUses,
		ExplicitMaxTTL: explicitMax, Period: period, Path: "auth/token/create",
		DisplayName: "token", Orphan: orphan || noParent,
	}
	if id := stringField(d, "id"); id != "" {
		if !parent.isRoot() {
			return badRequest("root or sudo privileges required to specify token id")
		}
		if s.tokens[id] != nil {
			return badRequest("cannot create a token with a duplicate ID")
		}
		t.ID = id
	}
	if name := stringField(d, "display_name"); name != "" {
		t.DisplayName = "token-" + strings.Trim(strings.ToLower(nonAlnum.ReplaceAllString(name, "-")), "-")
	}
	if md, isMap := d["meta"].(map[string]any); isMap {
		t.Meta = map[string]string{}
		for k, v := range md {
			t.Meta[k] = fmt.Sprint(v)
		}
	}
	if !t.Orphan {
		t.Parent = parent.ID
	}
	if orphan {
		t.Path = "auth/token/create-orphan"
	}
	// TTL: period wins; root-policy tokens without a TTL never expire; otherwise the
	// requested TTL or the system default, capped at the effective max.
	switch {
	case period > 0:
		t.TTL = period
		if explicitMax > 0 && explicitMax < period {
			t.TTL = explicitMax
		}
	case ttl == 0 && t.isRoot():
		t.TTL = 0
	default:
		if ttl == 0 {
			ttl = defaultLeaseTTL
		}
		maxTTL := maxLeaseTTL
		if explicitMax > 0 && explicitMax < maxTTL {
			maxTTL = explicitMax
		}
		if ttl > maxTTL {
			ttl = maxTTL
		}
		t.TTL = ttl
	}
	if t.TTL > 0 {
		t.Expire = t.Created.Add(t.TTL)
	} else {
		t.Renewable = false
	}
	s.addToken(t)
	return &resp{status: 200, auth: authBlock(t, t.TTL)}
}

// renew extends a token's TTL, capped at its max TTL with OpenBao's warning.
func (s *Server) renew(req *request, t *Token) *resp {
	if t.Expire.IsZero() || !t.Renewable {
		return badRequest("lease is not renewable")
	}
	increment, bad := durationField(req.data, "increment")
	if bad != nil {
		return bad
	}
	// As OpenBao's framework.CalculateTTL: times truncated to the second, the max TTL is the
	// smallest of the system's, the role's and the token's explicit one.
	now := s.now().Truncate(time.Second)
	start := t.Created.Truncate(time.Second)
	maxTTL := maxLeaseTTL
	if t.MaxTTL > 0 && t.MaxTTL < maxTTL {
		maxTTL = t.MaxTTL
	}
	if t.ExplicitMaxTTL > 0 && t.ExplicitMaxTTL < maxTTL {
		maxTTL = t.ExplicitMaxTTL
	}
	var warnings []string
	var ttl time.Duration
	var maxValid time.Time
	if t.Period > 0 {
		ttl = t.Period
		if ttl > maxTTL {
			warnings = append(warnings, fmt.Sprintf("period of %q exceeded the effective max_ttl of %q; period value is capped accordingly", ttl, maxTTL))
			ttl = maxTTL
		}
		if t.ExplicitMaxTTL > 0 {
			maxValid = start.Add(t.ExplicitMaxTTL)
		}
	} else {
		switch {
		case increment > 0:
			ttl = increment
		case t.TTL > 0:
			ttl = t.TTL
		default:
			ttl = defaultLeaseTTL
		}
		maxValid = start.Add(maxTTL)
	}
	if !maxValid.IsZero() {
		left := maxValid.Sub(now)
		if left < 0 {
			return badRequest("past the max TTL, cannot renew")
		}
		if left < ttl {
			warnings = append(warnings, fmt.Sprintf("TTL of %q exceeded the effective max_ttl of %q; TTL value is capped accordingly", ttl, left))
			ttl = left
		}
	}
	t.Expire = now.Add(ttl)
	t.LastRenewal = now
	return &resp{status: 200, auth: authBlock(t, ttl), warnings: warnings}
}

func sanitizePolicies(in []string, addDefault bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range in {
		p = strings.ToLower(strings.TrimSpace(p))
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if addDefault && !seen["default"] && !seen["root"] {
		out = append(out, "default")
	}
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out
}
