package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server holds all state. One mutex guards everything: devbao favours obvious
// correctness over throughput.
type Server struct {
	mu          sync.Mutex
	now         func() time.Time
	sealed      bool
	rootToken   string
	root        *Namespace
	tokens      map[string]*Token // by id
	accessors   map[string]*Token // by accessor
	wraps       map[string]*wrapEntry
	cubby       map[string]*kv1Store // per token id
	audits      map[string]*auditDevice
	quotas      map[string]*rateQuota
	quotaConfig quotaConfig
	hmacKey     []byte
	clusterID   string
	clusterName string
}

// NewServer builds a dev server with OpenBao's dev-mode mounts and the given root token.
func NewServer(rootToken string) *Server {
	s := &Server{
		now:         time.Now,
		rootToken:   rootToken,
		tokens:      map[string]*Token{},
		accessors:   map[string]*Token{},
		wraps:       map[string]*wrapEntry{},
		cubby:       map[string]*kv1Store{},
		audits:      map[string]*auditDevice{},
		quotas:      map[string]*rateQuota{},
		hmacKey:     randomBytes(32),
		clusterID:   newUUID(),
		clusterName: "vault-cluster-" + hex.EncodeToString(randomBytes(4)),
	}
	s.root = newNamespace(s, nil, "")
	// Dev mode mounts a KV v2 engine at secret/ in the root namespace only.
	s.root.mounts["secret/"] = newMount("secret/", "kv", "key/value secret storage", map[string]string{"version": "2"})
	s.addToken(&Token{
		ID: rootToken, Policies: []string{"root"}, NS: s.root, DisplayName: "root",
		Path: "auth/token/root", Orphan: true, Created: s.now(),
	})
	return s
}

// Close releases audit files.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.audits {
		a.close()
	}
}

// request is one API call after the HTTP layer has been peeled off.
type request struct {
	id         string
	method     string
	op         string // read, list, create, update, delete, patch
	ns         *Namespace
	path       string // relative to ns, without leading slash
	data       map[string]any
	rawToken   string
	token      *Token
	remoteAddr string
	wrapTTL    time.Duration
	header     http.Header
	mountType  string
	lastUse    bool // the token's last permitted use
}

// resp is what a handler returns; the pipeline turns it into JSON.
type resp struct {
	status   int
	data     map[string]any
	auth     map[string]any
	warnings []string
	errs     []string
	raw      any  // written as the whole body (sys/health and friends)
	topLevel bool // also copy data keys to the top level, as OpenBao does for some sys routes
	noBody   bool
	headers  map[string]string
	wrapInfo map[string]any
	lease    int64
}

func ok(data map[string]any) *resp { return &resp{status: 200, data: data} }
func noContent() *resp             { return &resp{status: 204, noBody: true} }
func errResp(status int, msgs ...string) *resp {
	if msgs == nil {
		msgs = []string{}
	}
	return &resp{status: status, errs: msgs}
}
func badRequest(format string, args ...any) *resp {
	return errResp(400, fmt.Sprintf(format, args...))
}
func notFound() *resp { return errResp(404) }

// Error strings as OpenBao (inherited from Vault) renders them: ACL failures are a
// go-multierror list.
const (
	errACLDenied = "1 error occurred:\n\t* permission denied\n\n"
	// OpenBao answers a missing, unknown or expired token exactly like an ACL denial
	// (fetchACLTokenEntryAndEntity returns ErrPermissionDenied; Vault adds "invalid token").
	errInvalidToken  = errACLDenied
	errSealed        = "Vault is sealed"
	errUnsupportedOp = "unsupported operation"
	errUnsupportedP  = "unsupported path"
)

func permissionDenied() *resp { return errResp(403, errACLDenied) }
func invalidToken() *resp     { return errResp(403, errInvalidToken) }
func unsupportedOp() *resp    { return errResp(405, errUnsupportedOp) }

// Paths answered while sealed, as OpenBao does.
var sealedAllowed = map[string]bool{"sys/health": true, "sys/seal-status": true, "sys/unseal": true}

// Paths that are unavailable with a namespace, as OpenBao's restricted sys APIs.
var rootOnlySys = map[string]bool{
	"sys/health": true, "sys/seal": true, "sys/unseal": true, "sys/seal-status": true,
	"sys/leader": true, "sys/step-down": true, "sys/init": true, "sys/quotas/config": true,
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "application/json")
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		writeResp(w, notFound(), nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	req, early := s.parseRequest(w, r)
	if early != nil {
		writeResp(w, early, req)
		return
	}
	out := s.handle(req)
	writeResp(w, out, req)
}

// parseRequest resolves namespace, path, operation, body and headers.
func (s *Server) parseRequest(w http.ResponseWriter, r *http.Request) (*request, *resp) {
	req := &request{id: newUUID(), method: r.Method, header: r.Header}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		req.remoteAddr = host
	}
	nsHeader := strings.Trim(r.Header.Get("X-Vault-Namespace"), "/")
	if nsHeader != "" {
		w.Header().Set("X-Vault-Namespace", r.Header.Get("X-Vault-Namespace"))
	}
	path := strings.TrimPrefix(r.URL.Path, "/v1/")
	if strings.Contains("/"+path+"/", "/../") {
		return req, badRequest("path cannot contain parent references")
	}
	ns := s.root
	if nsHeader != "" {
		ns = s.root.lookup(nsHeader)
		if ns == nil {
			return req, errResp(404, "namespace not found")
		}
		if rootOnlySys[strings.TrimSuffix(path, "/")] {
			return req, badRequest("operation unavailable in namespaces")
		}
	}
	// Namespaces may also be addressed by path prefix (/v1/ns1/secret/...).
	for {
		seg, rest, found := strings.Cut(path, "/")
		child := ns.children[seg]
		if !found || child == nil || seg == "sys" || seg == "auth" {
			break
		}
		ns, path = child, rest
	}
	req.ns, req.path = ns, path
	req.rawToken = r.Header.Get("X-Vault-Token")
	if req.rawToken == "" {
		if b, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found {
			req.rawToken = strings.TrimSpace(b)
		}
	}
	if v := r.Header.Get("X-Vault-Wrap-TTL"); v != "" {
		d, err := parseDuration(v)
		if err != nil || d <= 0 {
			return req, badRequest("error parsing X-Vault-Wrap-TTL header: %q", v)
		}
		req.wrapTTL = d
	}
	query := r.URL.Query()
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		req.op = "read"
		if b, _ := strconv.ParseBool(query.Get("list")); b {
			req.op = "list"
		}
	case "LIST":
		req.op = "list"
	case http.MethodPost, http.MethodPut:
		req.op = "update"
	case http.MethodDelete:
		req.op = "delete"
	case http.MethodPatch:
		req.op = "patch"
	default:
		return req, errResp(405)
	}
	req.data = map[string]any{}
	if req.op == "read" || req.op == "list" {
		for k, v := range query {
			if k != "list" && len(v) > 0 {
				req.data[k] = v[0]
			}
		}
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		return req, badRequest("failed to read request body: %v", err)
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(string(body)))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return req, badRequest("failed to parse JSON input: %v", err)
		}
		for k, v := range m {
			req.data[k] = v
		}
	}
	return req, nil
}

// handle runs the pipeline: quotas, seal, auth, ACL, routing, wrapping, audit.
func (s *Server) handle(req *request) *resp {
	denied, quotaHeaders := s.applyQuota(req)
	if denied != nil {
		return denied
	}
	if s.sealed && !sealedAllowed[req.path] {
		return errResp(503, errSealed)
	}
	// Devices enabled by this very request do not log it.
	devices := s.auditDevices()
	out := s.authorize(req)
	if out == nil {
		if (req.op == "update" || req.op == "patch") && strings.HasSuffix(req.path, "/") {
			out = badRequest("cannot write to a path ending in '/'")
		} else {
			out = s.route(req)
		}
	}
	if req.lastUse {
		// The token's final use: it is revoked once the request has run.
		s.revokeToken(req.token, true)
	}
	if req.wrapTTL > 0 && out.status == 200 && out.raw == nil && (out.data != nil || out.auth != nil) {
		out = s.wrapResponse(req, out)
	}
	s.audit(devices, req, out)
	if len(quotaHeaders) > 0 {
		if out.headers == nil {
			out.headers = map[string]string{}
		}
		for k, v := range quotaHeaders {
			out.headers[k] = v
		}
	}
	return out
}

// route dispatches on the path's first segments.
func (s *Server) route(req *request) *resp {
	p := req.path
	switch {
	case p == "sys" || strings.HasPrefix(p, "sys/"):
		req.mountType = "system"
		return s.routeSys(req)
	case strings.HasPrefix(p, "auth/token/"):
		req.mountType = "token"
		return s.routeToken(req, strings.TrimPrefix(p, "auth/token/"))
	case strings.HasPrefix(p, "auth/"):
		m, rest := req.ns.matchAuth(strings.TrimPrefix(p, "auth/"))
		if m == nil {
			return errResp(404, fmt.Sprintf("no handler for route %q. route entry not found.", req.ns.path+p))
		}
		req.mountType = m.Type
		return s.routeAppRole(req, m, rest)
	case p == "cubbyhole" || strings.HasPrefix(p, "cubbyhole/"):
		req.mountType = "cubbyhole"
		return s.routeCubbyhole(req, strings.TrimPrefix(strings.TrimPrefix(p, "cubbyhole"), "/"))
	}
	m, rest := req.ns.matchMount(p)
	if m == nil || m.Type == "identity" {
		return errResp(404, fmt.Sprintf("no handler for route %q. route entry not found.", req.ns.path+p))
	}
	req.mountType = m.Type
	if m.kvVersion() == 2 {
		return s.routeKV2(req, m, rest)
	}
	return s.routeKV1(req, m.kv1, rest)
}

// envelope renders a logical response as OpenBao does.
func envelope(req *request, out *resp) map[string]any {
	body := map[string]any{
		"request_id":     req.id,
		"lease_id":       "",
		"renewable":      false,
		"lease_duration": out.lease,
		"data":           nil,
		"wrap_info":      nil,
		"warnings":       nil,
		"auth":           nil,
		"mount_type":     req.mountType,
	}
	if out.data != nil {
		body["data"] = out.data
	}
	if out.auth != nil {
		body["auth"] = out.auth
	}
	if out.wrapInfo != nil {
		body["wrap_info"] = out.wrapInfo
	}
	if len(out.warnings) > 0 {
		body["warnings"] = out.warnings
	}
	if out.topLevel {
		for k, v := range out.data {
			if _, taken := body[k]; !taken {
				body[k] = v
			}
		}
	}
	return body
}

func responseBody(req *request, out *resp) any {
	switch {
	case out.noBody:
		return nil
	case out.raw != nil:
		return out.raw
	case out.errs != nil:
		return map[string]any{"errors": out.errs}
	default:
		return envelope(req, out)
	}
}

func writeResp(w http.ResponseWriter, out *resp, req *request) {
	for k, v := range out.headers {
		w.Header().Set(k, v)
	}
	if req == nil {
		req = &request{id: newUUID()}
	}
	body := responseBody(req, out)
	if body == nil || req.method == http.MethodHead {
		w.Header().Del("Content-Type")
		w.WriteHeader(out.status)
		return
	}
	buf, _ := json.Marshal(body)
	w.WriteHeader(out.status)
	_, _ = w.Write(append(buf, '\n'))
}

// ---- small helpers shared by the handlers ----

const base62 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomString(n int) string {
	out := make([]byte, n)
	for i := range out {
		v, _ := rand.Int(rand.Reader, big.NewInt(int64(len(base62))))
		out[i] = base62[v.Int64()]
	}
	return string(out)
}

func newTokenID() string { return "s." + randomString(24) }

func newUUID() string {
	b := randomBytes(16)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// parseDuration accepts Go durations ("1h30m"), plain seconds ("90", 90) and "d" days.
func parseDuration(v any) (time.Duration, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case json.Number:
		n, err := x.Float64()
		return time.Duration(n * float64(time.Second)), err
	case float64:
		return time.Duration(x * float64(time.Second)), nil
	case int:
		return time.Duration(x) * time.Second, nil
	case string:
		x = strings.TrimSpace(x)
		if x == "" {
			return 0, nil
		}
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return time.Duration(n) * time.Second, nil
		}
		if d, found := strings.CutSuffix(x, "d"); found {
			n, err := strconv.Atoi(d)
			return time.Duration(n) * 24 * time.Hour, err
		}
		return time.ParseDuration(x)
	}
	return 0, fmt.Errorf("cannot parse %v as a duration", v)
}

func durationField(data map[string]any, key string) (time.Duration, *resp) {
	d, err := parseDuration(data[key])
	if err != nil || d < 0 {
		return 0, badRequest("error converting input %v for field %q: %v", data[key], key, err)
	}
	return d, nil
}

func intField(data map[string]any, key string) (int, bool, *resp) {
	v, present := data[key]
	if !present || v == nil {
		return 0, false, nil
	}
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.Atoi(x.String())
		if err != nil {
			return 0, true, badRequest("error converting input %v for field %q", v, key)
		}
		return n, true, nil
	case string:
		n, err := strconv.Atoi(x)
		if err != nil {
			return 0, true, badRequest("error converting input %v for field %q", v, key)
		}
		return n, true, nil
	case float64:
		return int(x), true, nil
	}
	return 0, true, badRequest("error converting input %v for field %q", v, key)
}

func boolField(data map[string]any, key string, def bool) (bool, *resp) {
	switch x := data[key].(type) {
	case nil:
		return def, nil
	case bool:
		return x, nil
	case string:
		b, err := strconv.ParseBool(x)
		if err != nil {
			return def, badRequest("error converting input %v for field %q", x, key)
		}
		return b, nil
	}
	return def, badRequest("error converting input %v for field %q", data[key], key)
}

func stringField(data map[string]any, key string) string {
	switch x := data[key].(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}

// stringList accepts a JSON array or a comma-separated string.
func stringList(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		for p := range strings.SplitSeq(x, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	case []any:
		for _, e := range x {
			if str, isStr := e.(string); isStr && strings.TrimSpace(str) != "" {
				out = append(out, strings.TrimSpace(str))
			}
		}
	}
	return out
}

func intList(v any) ([]int, bool) {
	var out []int
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			n, _, bad := intField(map[string]any{"v": e}, "v")
			if bad != nil {
				return nil, false
			}
			out = append(out, n)
		}
	case string:
		for _, p := range stringList(x) {
			n, err := strconv.Atoi(p)
			if err != nil {
				return nil, false
			}
			out = append(out, n)
		}
	case json.Number:
		n, err := strconv.Atoi(x.String())
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }
