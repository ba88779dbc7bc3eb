package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// ---- KV version 1 (and cubbyhole) ----

type kv1Store struct{ data map[string]map[string]any }

func newKV1Store() *kv1Store { return &kv1Store{data: map[string]map[string]any{}} }

// listKeys returns the immediate children of prefix, folders with a trailing slash.
func listKeys(paths []string, prefix string) []string {
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	seen := map[string]bool{}
	for _, p := range paths {
		rest, found := strings.CutPrefix(p, prefix)
		if !found || rest == "" {
			continue
		}
		if i := strings.Index(rest, "/"); i >= 0 {
			rest = rest[:i+1]
		}
		seen[rest] = true
	}
	return sortedKeys(seen)
}

func (s *Server) routeKV1(req *request, st *kv1Store, key string) *resp {
	switch req.op {
	case "read":
		v, found := st.data[key]
		if !found {
			return notFound()
		}
		out := ok(v)
		out.lease = seconds(defaultLeaseTTL)
		return out
	case "list":
		keys := listKeys(sortedKeys(st.data), key)
		if len(keys) == 0 {
			return notFound()
		}
		return ok(map[string]any{"keys": keys})
	case "update", "create":
		if key == "" {
			return badRequest("missing path")
		}
		if len(req.data) == 0 {
			return badRequest("no data provided")
		}
		st.data[key] = req.data
		return noContent()
	case "delete":
		delete(st.data, key)
		return noContent()
	}
	return unsupportedOp()
}

func (s *Server) routeCubbyhole(req *request, key string) *resp {
	st := s.cubby[req.token.ID]
	if st == nil {
		st = newKV1Store()
		s.cubby[req.token.ID] = st
	}
	out := s.routeKV1(req, st, key)
	out.lease = 0
	return out
}

// ---- KV version 2 ----

type kvVersion struct {
	data      map[string]any
	created   time.Time
	deletion  time.Time // zero: not deleted; may lie in the future (delete_version_after)
	destroyed bool
}

type kvMeta struct {
	versions           map[int]*kvVersion
	current            int
	oldest             int
	created, updated   time.Time
	maxVersions        int
	casRequired        bool
	deleteVersionAfter time.Duration
	customMetadata     map[string]string
}

type kv2Store struct {
	entries            map[string]*kvMeta
	maxVersions        int
	casRequired        bool
	deleteVersionAfter time.Duration
}

func newKV2Store() *kv2Store { return &kv2Store{entries: map[string]*kvMeta{}} }

func (m *kvMeta) versionMeta(n int) map[string]any {
	v := m.versions[n]
	var custom any
	if m.customMetadata != nil {
		custom = m.customMetadata
	}
	return map[string]any{
		"created_time": formatTime(v.created), "deletion_time": formatTime(v.deletion),
		"destroyed": v.destroyed, "version": n, "custom_metadata": custom,
	}
}

func (v *kvVersion) deleted(now time.Time) bool {
	return !v.deletion.IsZero() && !v.deletion.After(now)
}

// exists tells create from update for ACL checks on KV paths.
func (s *Server) exists(req *request) bool {
	m, rest := req.ns.matchMount(req.path)
	if m == nil {
		return true
	}
	switch {
	case m.kv2 != nil:
		op, key, _ := strings.Cut(rest, "/")
		if op != "data" && op != "metadata" {
			return true
		}
		return m.kv2.entries[key] != nil
	case m.kv1 != nil:
		_, found := m.kv1.data[rest]
		return found
	case m.Type == "cubbyhole":
		if st := s.cubby[req.rawToken]; st != nil {
			_, found := st.data[rest]
			return found
		}
		return false
	}
	return true
}

func (s *Server) routeKV2(req *request, m *Mount, rest string) *resp {
	st := m.kv2
	op, key, _ := strings.Cut(rest, "/")
	switch op {
	case "config":
		return s.kv2Config(req, st)
	case "data":
		return s.kv2Data(req, st, key)
	case "metadata":
		return s.kv2Metadata(req, st, key)
	case "delete", "undelete", "destroy":
		if req.op != "update" && !(op == "destroy" && req.op == "update") {
			return unsupportedOp()
		}
		return s.kv2Versions(req, st, op, key)
	case "subkeys":
		return s.kv2Subkeys(req, st, key)
	}
	return errResp(404, errUnsupportedP)
}

func (s *Server) kv2Config(req *request, st *kv2Store) *resp {
	switch req.op {
	case "read":
		return ok(map[string]any{
			"max_versions": st.maxVersions, "cas_required": st.casRequired,
			"delete_version_after": st.deleteVersionAfter.String(),
		})
	case "update":
		if n, present, bad := intField(req.data, "max_versions"); bad != nil {
			return bad
		} else if present {
			st.maxVersions = n
		}
		cas, bad := boolField(req.data, "cas_required", st.casRequired)
		if bad != nil {
			return bad
		}
		st.casRequired = cas
		if _, present := req.data["delete_version_after"]; present {
			d, bad := durationField(req.data, "delete_version_after")
			if bad != nil {
				return bad
			}
			st.deleteVersionAfter = d
		}
		return noContent()
	}
	return unsupportedOp()
}

func (s *Server) kv2Data(req *request, st *kv2Store, key string) *resp {
	if key == "" {
		return badRequest("missing path")
	}
	meta := st.entries[key]
	now := s.now()
	switch req.op {
	case "read":
		if meta == nil {
			return notFound()
		}
		n := meta.current
		if v, present, bad := intField(req.data, "version"); bad != nil {
			return bad
		} else if present && v > 0 {
			n = v
		}
		ver := meta.versions[n]
		if ver == nil {
			return notFound()
		}
		body := map[string]any{"data": nil, "metadata": meta.versionMeta(n)}
		if ver.deleted(now) || ver.destroyed {
			// OpenBao answers 404 but still sends the version metadata.
			return &resp{status: 404, data: body}
		}
		body["data"] = ver.data
		return ok(body)
	case "create", "update":
		data, isMap := req.data["data"].(map[string]any)
		if !isMap {
			return badRequest("no data provided")
		}
		if bad := checkCAS(req, st, meta); bad != nil {
			return bad
		}
		if meta == nil {
			meta = &kvMeta{versions: map[int]*kvVersion{}, created: now}
			st.entries[key] = meta
		}
		return s.kv2Put(st, meta, data, now)
	case "patch":
		if meta == nil || meta.versions[meta.current] == nil {
			return notFound()
		}
		cur := meta.versions[meta.current]
		if cur.deleted(now) || cur.destroyed {
			return &resp{status: 404, data: meta.versionMeta(meta.current)}
		}
		patch, isMap := req.data["data"].(map[string]any)
		if !isMap {
			return badRequest("no data provided")
		}
		if bad := checkCAS(req, st, meta); bad != nil {
			return bad
		}
		return s.kv2Put(st, meta, mergePatch(cur.data, patch), now)
	case "delete":
		if meta != nil {
			if v := meta.versions[meta.current]; v != nil && !v.deleted(now) && !v.destroyed {
				v.deletion = now
			}
		}
		return noContent()
	}
	return unsupportedOp()
}

func checkCAS(req *request, st *kv2Store, meta *kvMeta) *resp {
	opts, _ := req.data["options"].(map[string]any)
	cas, present, bad := intField(opts, "cas")
	if bad != nil {
		return bad
	}
	required := st.casRequired || (meta != nil && meta.casRequired)
	if !present {
		if required {
			return badRequest("check-and-set parameter required for this call")
		}
		return nil
	}
	current := 0
	if meta != nil {
		current = meta.current
	}
	if cas != current {
		return badRequest("check-and-set parameter did not match the current version")
	}
	return nil
}

func (s *Server) kv2Put(st *kv2Store, meta *kvMeta, data map[string]any, now time.Time) *resp {
	meta.current++
	v := &kvVersion{data: data, created: now}
	after := meta.deleteVersionAfter
	if after == 0 {
		after = st.deleteVersionAfter
	}
	if after > 0 {
		v.deletion = now.Add(after)
	}
	meta.versions[meta.current] = v
	meta.updated = now
	if meta.oldest == 0 {
		meta.oldest = 1
	}
	// OpenBao keeps the larger of the key's and the mount's max_versions (default 10).
	limit := max(meta.maxVersions, st.maxVersions)
	if limit == 0 {
		limit = 10
	}
	for meta.current-meta.oldest+1 > limit {
		delete(meta.versions, meta.oldest)
		meta.oldest++
	}
	return ok(meta.versionMeta(meta.current))
}

// mergePatch applies a JSON merge patch (RFC 7386).
func mergePatch(base, patch map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range patch {
		if v == nil {
			delete(out, k)
			continue
		}
		if pm, isMap := v.(map[string]any); isMap {
			bm, _ := out[k].(map[string]any)
			out[k] = mergePatch(bm, pm)
			continue
		}
		out[k] = v
	}
	return out
}

func (s *Server) kv2Versions(req *request, st *kv2Store, op, key string) *resp {
	versions, valid := intList(req.data["versions"])
	if !valid {
		return badRequest("error converting input for field \"versions\"")
	}
	if len(versions) == 0 {
		return badRequest("no version number provided")
	}
	meta := st.entries[key]
	if meta == nil {
		return noContent()
	}
	now := s.now()
	for _, n := range versions {
		v := meta.versions[n]
		if v == nil {
			continue
		}
		switch op {
		case "delete":
			if !v.deleted(now) && !v.destroyed {
				v.deletion = now
			}
		case "undelete":
			if !v.destroyed {
				v.deletion = time.Time{}
			}
		case "destroy":
			v.destroyed, v.data = true, nil
		}
	}
	meta.updated = now
	return noContent()
}

func (s *Server) kv2Metadata(req *request, st *kv2Store, key string) *resp {
	meta := st.entries[key]
	switch req.op {
	case "list":
		paths := []string{}
		for p := range st.entries {
			paths = append(paths, p)
		}
		keys := listKeys(paths, key)
		if len(keys) == 0 {
			return notFound()
		}
		return ok(map[string]any{"keys": keys})
	case "read":
		if meta == nil || key == "" {
			return notFound()
		}
		versions := map[string]any{}
		for n, v := range meta.versions {
			versions[strconv.Itoa(n)] = map[string]any{
				"created_time": formatTime(v.created), "deletion_time": formatTime(v.deletion), "destroyed": v.destroyed,
			}
		}
		custom := any(nil)
		if meta.customMetadata != nil {
			custom = meta.customMetadata
		}
		return ok(map[string]any{
			"cas_required": meta.casRequired, "created_time": formatTime(meta.created),
			"current_version": meta.current, "custom_metadata": custom,
			"delete_version_after": meta.deleteVersionAfter.String(), "max_versions": meta.maxVersions,
			"oldest_version": meta.oldest, "updated_time": formatTime(meta.updated), "versions": versions,
		})
	case "create", "update", "patch":
		if key == "" {
			return badRequest("missing path")
		}
		now := s.now()
		if meta == nil {
			meta = &kvMeta{versions: map[int]*kvVersion{}, created: now, updated: now}
			st.entries[key] = meta
		}
		if n, present, bad := intField(req.data, "max_versions"); bad != nil {
			return bad
		} else if present {
			meta.maxVersions = n
		}
		cas, bad := boolField(req.data, "cas_required", meta.casRequired)
		if bad != nil {
			return bad
		}
		meta.casRequired = cas
		if _, present := req.data["delete_version_after"]; present {
			d, bad := durationField(req.data, "delete_version_after")
			if bad != nil {
				return bad
			}
			meta.deleteVersionAfter = d
		}
		if cm, isMap := req.data["custom_metadata"].(map[string]any); isMap {
			meta.customMetadata = map[string]string{}
			for k, v := range cm {
				if str, isStr := v.(string); isStr {
					meta.customMetadata[k] = str
				} else {
					b, _ := json.Marshal(v)
					meta.customMetadata[k] = string(b)
				}
			}
		}
		return noContent()
	case "delete":
		delete(st.entries, key)
		return noContent()
	}
	return unsupportedOp()
}

// subkeys returns the structure of the latest (or given) version with leaf values nulled.
func (s *Server) kv2Subkeys(req *request, st *kv2Store, key string) *resp {
	if req.op != "read" {
		return unsupportedOp()
	}
	meta := st.entries[key]
	if meta == nil {
		return notFound()
	}
	n := meta.current
	if v, present, _ := intField(req.data, "version"); present && v > 0 {
		n = v
	}
	ver := meta.versions[n]
	if ver == nil {
		return notFound()
	}
	if ver.deleted(s.now()) || ver.destroyed {
		return &resp{status: 404, data: map[string]any{"subkeys": nil, "metadata": meta.versionMeta(n)}}
	}
	var strip func(map[string]any) map[string]any
	strip = func(in map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range in {
			if m, isMap := v.(map[string]any); isMap {
				out[k] = strip(m)
			} else {
				out[k] = nil
			}
		}
		return out
	}
	return ok(map[string]any{"subkeys": strip(ver.data), "metadata": meta.versionMeta(n)})
}
