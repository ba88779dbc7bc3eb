package main

import (
	"regexp"
	"strings"
	"time"
)

// Namespace is one OpenBao namespace: its own mounts, auth mounts and policies.
type Namespace struct {
	ID             string
	Path           string // "" for root, "team/" or "team/app/" otherwise
	path           string // same as Path; kept short for messages
	parent         *Namespace
	children       map[string]*Namespace
	mounts         map[string]*Mount // "secret/" -> mount
	auths          map[string]*Mount // "approle/" -> mount (below auth/)
	policies       map[string]string
	customMetadata map[string]any
	created        time.Time
}

func newNamespace(s *Server, parent *Namespace, name string) *Namespace {
	ns := &Namespace{
		ID:       "root",
		parent:   parent,
		children: map[string]*Namespace{},
		mounts:   map[string]*Mount{},
		auths:    map[string]*Mount{},
		policies: map[string]string{"default": defaultPolicy},
		created:  s.now(),
	}
	if parent != nil {
		ns.ID = randomString(5)
		ns.Path = parent.Path + name + "/"
	}
	ns.path = ns.Path
	ns.mounts["cubbyhole/"] = newMount("cubbyhole/", "cubbyhole", "per-token private secret storage", nil)
	ns.mounts["identity/"] = newMount("identity/", "identity", "identity store", nil)
	ns.mounts["sys/"] = newMount("sys/", "system", "system endpoints used for control, policy and debugging", nil)
	ns.auths["token/"] = newMount("token/", "token", "token based credentials", nil)
	return ns
}

// lookup finds a descendant by a relative path such as "team/app".
func (ns *Namespace) lookup(rel string) *Namespace {
	cur := ns
	for seg := range strings.SplitSeq(strings.Trim(rel, "/"), "/") {
		if seg == "" {
			continue
		}
		next := cur.children[seg]
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}

// isWithin reports whether ns is other or one of its descendants.
func (ns *Namespace) isWithin(other *Namespace) bool {
	for cur := ns; cur != nil; cur = cur.parent {
		if cur == other {
			return true
		}
	}
	return false
}

func (ns *Namespace) matchMount(p string) (*Mount, string) {
	return matchLongest(ns.mounts, p)
}

func (ns *Namespace) matchAuth(p string) (*Mount, string) {
	return matchLongest(ns.auths, p)
}

func matchLongest(table map[string]*Mount, p string) (*Mount, string) {
	var best *Mount
	for prefix, m := range table {
		if strings.HasPrefix(p+"/", prefix) && (best == nil || len(prefix) > len(best.Path)) {
			best = m
		}
	}
	if best == nil {
		return nil, ""
	}
	rest := strings.TrimPrefix(p, strings.TrimSuffix(best.Path, "/"))
	return best, strings.TrimPrefix(rest, "/")
}

var namespaceName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// sys/namespaces and sys/namespaces/<name>
func (s *Server) handleNamespaces(req *request, name string) *resp {
	name = strings.Trim(name, "/")
	if name == "" {
		if req.op != "list" {
			return unsupportedOp()
		}
		if len(req.ns.children) == 0 {
			return notFound()
		}
		keys := []string{}
		info := map[string]any{}
		for _, k := range sortedKeys(req.ns.children) {
			keys = append(keys, k+"/")
			info[k+"/"] = namespaceInfo(req.ns.children[k])
		}
		return ok(map[string]any{"keys": keys, "key_info": info})
	}
	parent, leaf := req.ns, name
	if i := strings.LastIndex(name, "/"); i >= 0 {
		parent, leaf = req.ns.lookup(name[:i]), name[i+1:]
		if parent == nil {
			return notFound()
		}
	}
	existing := parent.children[leaf]
	switch req.op {
	case "read":
		if existing == nil {
			return notFound()
		}
		return ok(namespaceInfo(existing))
	case "update":
		if existing != nil {
			return ok(namespaceInfo(existing))
		}
		if !namespaceName.MatchString(leaf) || leaf == "root" || leaf == "sys" || leaf == "auth" || leaf == "cubbyhole" || leaf == "identity" {
			return badRequest("%q is not a valid namespace name", leaf)
		}
		child := newNamespace(s, parent, leaf)
		if md, isMap := req.data["custom_metadata"].(map[string]any); isMap {
			child.customMetadata = md
		}
		parent.children[leaf] = child
		return ok(namespaceInfo(child))
	case "delete":
		if existing == nil {
			return noContent()
		}
		if len(existing.children) > 0 {
			return badRequest("cannot delete namespace (%q) containing child namespaces", existing.Path)
		}
		for _, t := range s.tokens {
			if t.NS == existing {
				s.revokeToken(t, true)
			}
		}
		delete(parent.children, leaf)
		return noContent()
	}
	return unsupportedOp()
}

func namespaceInfo(ns *Namespace) map[string]any {
	md := ns.customMetadata
	if md == nil {
		md = map[string]any{}
	}
	return map[string]any{
		"id": ns.ID, "path": ns.Path, "custom_metadata": md,
		"locked": false, "tainted": false, "uuid": ns.ID,
	}
}
