package main

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// defaultPolicy mirrors the paths of OpenBao's built-in "default" policy that devbao serves.
const defaultPolicy = `# Allow tokens to look up their own properties
path "auth/token/lookup-self" {
    capabilities = ["read"]
}

# Allow tokens to renew themselves
path "auth/token/renew-self" {
    capabilities = ["update"]
}

# Allow tokens to revoke themselves
path "auth/token/revoke-self" {
    capabilities = ["update"]
}

# Allow a token to look up its own capabilities on a path
path "sys/capabilities-self" {
    capabilities = ["update"]
}

# Allow a token to look up its resultant ACL from all policies
path "sys/internal/ui/resultant-acl" {
    capabilities = ["read"]
}

# Allow a token to renew a lease via lease_id in the request body
path "sys/renew" {
    capabilities = ["update"]
}
path "sys/leases/renew" {
    capabilities = ["update"]
}

# Allow looking up lease properties
path "sys/leases/lookup" {
    capabilities = ["update"]
}

# Allow a token to manage its own cubbyhole
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}

# Allow a token to wrap arbitrary values in a response-wrapping token
path "sys/wrapping/wrap" {
    capabilities = ["update"]
}

# Allow a token to look up the creation time and TTL of a given
# response-wrapping token
path "sys/wrapping/lookup" {
    capabilities = ["update"]
}

# Allow a token to unwrap a response-wrapping token
path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

# Allow general purpose tools
path "sys/tools/hash" {
    capabilities = ["update"]
}
path "sys/tools/hash/*" {
    capabilities = ["update"]
}
`

var validCapabilities = map[string]bool{
	"create": true, "read": true, "update": true, "delete": true, "list": true,
	"sudo": true, "deny": true, "patch": true,
}

// rule is one `path "..." { capabilities = [...] }` block.
type rule struct {
	pattern string
	caps    map[string]bool
}

func (r rule) deny() bool { return r.caps["deny"] }

// parsePolicy reads the HCL subset OpenBao policies use: path blocks with
// capabilities lists (and the legacy `policy = "read"` shorthand), with comments.
func parsePolicy(src string) ([]rule, error) {
	toks, err := lexHCL(src)
	if err != nil {
		return nil, err
	}
	var rules []rule
	i := 0
	next := func() string {
		if i >= len(toks) {
			return ""
		}
		i++
		return toks[i-1]
	}
	for i < len(toks) {
		kw := next()
		if kw == "name" { // `name = "x"` is tolerated at top level
			if next() != "=" {
				return nil, fmt.Errorf("expected '=' after name")
			}
			next()
			continue
		}
		if kw != "path" {
			return nil, fmt.Errorf("invalid key %q on line", strings.Trim(kw, `"`))
		}
		p := next()
		if !strings.HasPrefix(p, `"`) {
			return nil, fmt.Errorf("path must be a quoted string")
		}
		r := rule{pattern: strings.TrimPrefix(p[1:len(p)-1], "/"), caps: map[string]bool{}}
		if next() != "{" {
			return nil, fmt.Errorf("expected '{' after path %q", r.pattern)
		}
		for {
			key := next()
			if key == "}" {
				break
			}
			if key == "" {
				return nil, fmt.Errorf("unterminated block for path %q", r.pattern)
			}
			if next() != "=" {
				return nil, fmt.Errorf("expected '=' after %q", key)
			}
			switch key {
			case "capabilities":
				if next() != "[" {
					return nil, fmt.Errorf("capabilities must be a list")
				}
				for {
					c := next()
					if c == "]" {
						break
					}
					if c == "," {
						continue
					}
					if !strings.HasPrefix(c, `"`) {
						return nil, fmt.Errorf("unexpected %q in capabilities", c)
					}
					name := strings.ToLower(c[1 : len(c)-1])
					if !validCapabilities[name] {
						return nil, fmt.Errorf("path %q: invalid capability %q", r.pattern, name)
					}
					r.caps[name] = true
				}
			case "policy":
				v := strings.Trim(next(), `"`)
				switch v {
				case "deny":
					r.caps["deny"] = true
				case "read":
					r.caps["read"], r.caps["list"] = true, true
				case "write":
					for _, c := range []string{"create", "read", "update", "delete", "list"} {
						r.caps[c] = true
					}
				case "sudo":
					for _, c := range []string{"create", "read", "update", "delete", "list", "sudo"} {
						r.caps[c] = true
					}
				default:
					return nil, fmt.Errorf("path %q: invalid policy %q", r.pattern, v)
				}
			default:
				// Parameter constraints and the like are accepted and ignored.
				if err := skipValue(toks, &i); err != nil {
					return nil, err
				}
			}
		}
		if r.caps["deny"] {
			r.caps = map[string]bool{"deny": true}
		}
		rules = append(rules, r)
	}
	return rules, nil
}

func skipValue(toks []string, i *int) error {
	depth := 0
	for *i < len(toks) {
		t := toks[*i]
		*i++
		switch t {
		case "{", "[":
			depth++
		case "}", "]":
			depth--
		}
		if depth <= 0 {
			return nil
		}
	}
	return fmt.Errorf("unterminated value")
}

func lexHCL(src string) ([]string, error) {
	var toks []string
	r := []rune(src)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '#' || (c == '/' && i+1 < len(r) && r[i+1] == '/'):
			for i < len(r) && r[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(r) && r[i+1] == '*':
			end := strings.Index(string(r[i+2:]), "*/")
			if end < 0 {
				return nil, fmt.Errorf("unterminated comment")
			}
			i += 2 + len([]rune(string(r[i+2:])[:end])) + 2
		case c == '"':
			j := i + 1
			for j < len(r) && r[j] != '"' {
				if r[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(r) {
				return nil, fmt.Errorf("unterminated string")
			}
			toks = append(toks, string(r[i:j+1]))
			i = j + 1
		case strings.ContainsRune("{}[]=,", c):
			toks = append(toks, string(c))
			i++
		default:
			j := i
			for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || r[j] == '_' || r[j] == '-' || r[j] == '.') {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("unexpected character %q", c)
			}
			toks = append(toks, string(r[i:j]))
			i = j
		}
	}
	return toks, nil
}

// matches reports whether a policy pattern covers path: a trailing `*` is a prefix glob,
// `+` matches exactly one segment.
func matches(pattern, path string) bool {
	prefixGlob := strings.HasSuffix(pattern, "*")
	pat := strings.TrimSuffix(pattern, "*")
	if !strings.Contains(pat, "+") {
		if prefixGlob {
			return strings.HasPrefix(path, pat)
		}
		return path == pat
	}
	pp, ps := strings.Split(pat, "/"), strings.Split(path, "/")
	if len(ps) < len(pp) || (!prefixGlob && len(ps) != len(pp)) {
		return false
	}
	for i, seg := range pp {
		last := i == len(pp)-1
		switch {
		case seg == "+":
			if ps[i] == "" && !(last && prefixGlob) {
				return false
			}
		case last && prefixGlob:
			if !strings.HasPrefix(ps[i], seg) {
				return false
			}
		case seg != ps[i]:
			return false
		}
	}
	return true
}

// morePrecise orders two matching patterns as OpenBao's ACL does: the one whose first
// wildcard comes later wins, then non-glob over glob, then fewer `+`, then the longer.
func morePrecise(a, b string) bool {
	firstWild := func(p string) int {
		i := strings.IndexAny(p, "+*")
		if i < 0 {
			return len(p) + 1
		}
		return i
	}
	if fa, fb := firstWild(a), firstWild(b); fa != fb {
		return fa > fb
	}
	if ga, gb := strings.HasSuffix(a, "*"), strings.HasSuffix(b, "*"); ga != gb {
		return !ga
	}
	if pa, pb := strings.Count(a, "+"), strings.Count(b, "+"); pa != pb {
		return pa < pb
	}
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}

// mergedRules combines the token's policies; rules on the same pattern are unioned.
func (s *Server) mergedRules(t *Token) []rule {
	byPattern := map[string]map[string]bool{}
	for _, name := range t.Policies {
		src, found := t.NS.policies[name]
		if !found {
			continue
		}
		rules, err := parsePolicy(src)
		if err != nil {
			continue
		}
		for _, r := range rules {
			caps := byPattern[r.pattern]
			if caps == nil {
				caps = map[string]bool{}
				byPattern[r.pattern] = caps
			}
			for c := range r.caps {
				caps[c] = true
			}
		}
	}
	out := make([]rule, 0, len(byPattern))
	for p, caps := range byPattern {
		if caps["deny"] {
			caps = map[string]bool{"deny": true}
		}
		out = append(out, rule{pattern: p, caps: caps})
	}
	return out
}

// capabilities returns the capabilities a token has on a path relative to its namespace.
func (s *Server) capabilities(t *Token, path string) map[string]bool {
	if t.isRoot() {
		return map[string]bool{"root": true}
	}
	var best *rule
	for _, r := range s.mergedRules(t) {
		if matches(r.pattern, path) && (best == nil || morePrecise(r.pattern, best.pattern)) {
			r := r
			best = &r
		}
	}
	if best == nil || best.deny() {
		return map[string]bool{}
	}
	return best.caps
}

// sys/policies/acl[/<name>] and sys/policy[/<name>]
func (s *Server) handlePolicy(req *request, name string, legacy bool) *resp {
	name = strings.ToLower(strings.Trim(name, "/"))
	if name == "" {
		if req.op != "read" && req.op != "list" {
			return unsupportedOp()
		}
		keys := sortedKeys(req.ns.policies)
		if req.ns.parent == nil {
			keys = append(keys, "root")
			sort.Strings(keys)
		}
		data := map[string]any{"keys": keys}
		if legacy {
			data["policies"] = keys
		}
		out := ok(data)
		out.topLevel = legacy
		return out
	}
	switch req.op {
	case "read":
		src, found := req.ns.policies[name]
		if name == "root" {
			found, src = true, ""
		}
		if !found {
			if legacy {
				return errResp(404, fmt.Sprintf("No policy named: %s", name))
			}
			return notFound()
		}
		data := map[string]any{"name": name}
		if legacy {
			data["rules"] = src
		} else {
			data["policy"] = src
		}
		out := ok(data)
		out.topLevel = legacy
		return out
	case "update":
		src := stringField(req.data, "policy")
		if src == "" {
			src = stringField(req.data, "rules")
		}
		if src == "" {
			return badRequest("'policy' parameter not supplied or empty")
		}
		if name == "root" {
			return badRequest("cannot update %q policy", "root")
		}
		if _, err := parsePolicy(src); err != nil {
			return badRequest("failed to parse policy: %v", err)
		}
		req.ns.policies[name] = src
		return noContent()
	case "delete":
		switch name {
		case "default":
			return badRequest("cannot delete %q policy", "default")
		case "root":
			return badRequest("cannot delete %q policy", "root")
		}
		delete(req.ns.policies, name)
		return noContent()
	}
	return unsupportedOp()
}

// sys/capabilities-self and sys/capabilities
func (s *Server) handleCapabilities(req *request, self bool) *resp {
	t := req.token
	if !self {
		t = s.lookupToken(stringField(req.data, "token"))
		if t == nil {
			return badRequest("invalid token")
		}
	}
	paths := stringList(req.data["paths"])
	if len(paths) == 0 {
		paths = stringList(req.data["path"])
	}
	if len(paths) == 0 {
		return badRequest("paths must be supplied")
	}
	data := map[string]any{}
	var all []string
	for _, p := range paths {
		caps := s.capabilities(t, relativePath(t.NS, req.ns, strings.TrimPrefix(p, "/")))
		list := []string{}
		for c := range caps {
			list = append(list, c)
		}
		if len(list) == 0 {
			list = []string{"deny"}
		}
		sort.Strings(list)
		data[p] = list
		all = list
	}
	if len(paths) == 1 {
		data["capabilities"] = all
	}
	out := ok(data)
	out.topLevel = true
	return out
}
