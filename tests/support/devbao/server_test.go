package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const root = "s.root-for-tests"

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestServer(t *testing.T) (*Server, *fakeClock) {
	t.Helper()
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := NewServer(root)
	s.now = clock.now
	for _, tok := range s.tokens {
		tok.Created = clock.t
	}
	return s, clock
}

type result struct {
	status int
	body   map[string]any
	header http.Header
}

func call(t *testing.T, s *Server, method, path, token string, body any, headers ...string) result {
	t.Helper()
	var payload string
	if body != nil {
		b, _ := json.Marshal(body)
		payload = string(b)
	}
	req := httptest.NewRequest(method, "/v1/"+path, strings.NewReader(payload))
	req.RemoteAddr = "127.0.0.1:5555"
	if token != "" {
		req.Header.Set("X-Vault-Token", token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	out := result{status: rec.Code, header: rec.Header()}
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out.body); err != nil {
			t.Fatalf("%s %s: body is not JSON: %q", method, path, rec.Body.String())
		}
	}
	return out
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

func wantStatus(t *testing.T, r result, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %v", r.status, status, r.body)
	}
}

func firstError(r result) string {
	errs, _ := r.body["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	s, _ := errs[0].(string)
	return s
}

func TestPolicyMatching(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"secret/data/app", "secret/data/app", true},
		{"secret/data/app", "secret/data/app2", false},
		{"secret/data/*", "secret/data/a/b", true},
		{"secret/data/app*", "secret/data/app2", true},
		{"secret/+/app", "secret/data/app", true},
		{"secret/+/app", "secret/data/x/app", false},
		{"secret/+/app/*", "secret/data/app/x", true},
		{"secret/data/+", "secret/data/", false},
	}
	for _, c := range cases {
		if got := matches(c.pattern, c.path); got != c.want {
			t.Errorf("matches(%q, %q) = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
	if !morePrecise("secret/data/app", "secret/data/*") || !morePrecise("secret/data/app/*", "secret/data/*") ||
		!morePrecise("secret/data/+", "secret/+/x") {
		t.Error("morePrecise does not prefer the more specific pattern")
	}
}

func TestParsePolicyRejectsUnknownCapability(t *testing.T) {
	if _, err := parsePolicy(`path "a/*" { capabilities = ["reed"] }`); err == nil {
		t.Fatal("want an error for an unknown capability")
	}
	rules, err := parsePolicy(`
# comment
path "a/*" { capabilities = ["read", "list"] }
/* block */ path "a/secret" { capabilities = ["deny", "read"] } // trailing
path "b" { policy = "write" }`)
	if err != nil || len(rules) != 3 || !rules[1].deny() || !rules[2].caps["update"] {
		t.Fatalf("parsePolicy = %+v, %v", rules, err)
	}
}

func TestACLDeniesAndAllowsByCapability(t *testing.T) {
	s, _ := newTestServer(t)
	call(t, s, "PUT", "sys/policies/acl/w", root, map[string]any{"policy": `
path "secret/data/app/*" { capabilities = ["create", "read"] }
path "secret/data/app/locked" { capabilities = ["deny"] }`})
	tok := dig(call(t, s, "POST", "auth/token/create", root, map[string]any{"policies": []string{"w"}}).body, "auth", "client_token").(string)

	wantStatus(t, call(t, s, "POST", "secret/data/app/x", tok, map[string]any{"data": map[string]any{"a": "1"}}), 200)
	// The path now exists, so a second write needs "update", which the policy lacks.
	r := call(t, s, "POST", "secret/data/app/x", tok, map[string]any{"data": map[string]any{"a": "2"}})
	wantStatus(t, r, 403)
	if firstError(r) != errACLDenied {
		t.Errorf("error = %q", firstError(r))
	}
	wantStatus(t, call(t, s, "GET", "secret/data/app/locked", tok, nil), 403)
	wantStatus(t, call(t, s, "GET", "secret/data/other", tok, nil), 403)
	wantStatus(t, call(t, s, "GET", "auth/token/lookup-self", tok, nil), 200)
	wantStatus(t, call(t, s, "PUT", "sys/seal", tok, nil), 403)
}

func TestKV2DeleteVersionAfterInTheFutureStillReads(t *testing.T) {
	s, clock := newTestServer(t)
	call(t, s, "POST", "secret/metadata/app", root, map[string]any{"delete_version_after": "1h"})
	call(t, s, "POST", "secret/data/app", root, map[string]any{"data": map[string]any{"k": "v"}})
	r := call(t, s, "GET", "secret/data/app", root, nil)
	wantStatus(t, r, 200)
	if dig(r.body, "data", "metadata", "deletion_time") == "" {
		t.Error("deletion_time should be set in the future")
	}
	clock.advance(2 * time.Hour)
	r = call(t, s, "GET", "secret/data/app", root, nil)
	wantStatus(t, r, 404)
	if dig(r.body, "data", "data") != nil || dig(r.body, "data", "metadata", "version") != float64(1) {
		t.Errorf("want a full 404 body, got %v", r.body)
	}
}

func TestKV2CheckAndSetAndMaxVersions(t *testing.T) {
	s, _ := newTestServer(t)
	call(t, s, "POST", "secret/config", root, map[string]any{"max_versions": 2})
	for i := 0; i < 3; i++ {
		call(t, s, "POST", "secret/data/app", root, map[string]any{"data": map[string]any{"i": i}})
	}
	wantStatus(t, call(t, s, "GET", "secret/data/app?version=1", root, nil), 404)
	if v := dig(call(t, s, "GET", "secret/metadata/app", root, nil).body, "data", "oldest_version"); v != float64(2) {
		t.Errorf("oldest_version = %v, want 2", v)
	}
	r := call(t, s, "POST", "secret/data/app", root, map[string]any{"data": map[string]any{"i": 9}, "options": map[string]any{"cas": 1}})
	wantStatus(t, r, 400)
	if firstError(r) != "check-and-set parameter did not match the current version" {
		t.Errorf("error = %q", firstError(r))
	}
	wantStatus(t, call(t, s, "POST", "secret/data/app", root, map[string]any{"data": map[string]any{"i": 9}, "options": map[string]any{"cas": 3}}), 200)
}

func TestKV2UndeleteAndList(t *testing.T) {
	s, _ := newTestServer(t)
	call(t, s, "POST", "secret/data/a/b", root, map[string]any{"data": map[string]any{"k": "v"}})
	call(t, s, "POST", "secret/data/a/c/d", root, map[string]any{"data": map[string]any{"k": "v"}})
	call(t, s, "POST", "secret/delete/a/b", root, map[string]any{"versions": []int{1}})
	wantStatus(t, call(t, s, "GET", "secret/data/a/b", root, nil), 404)
	call(t, s, "POST", "secret/undelete/a/b", root, map[string]any{"versions": []int{1}})
	wantStatus(t, call(t, s, "GET", "secret/data/a/b", root, nil), 200)
	keys := dig(call(t, s, "LIST", "secret/metadata/a", root, nil).body, "data", "keys")
	if b, _ := json.Marshal(keys); string(b) != `["b","c/"]` {
		t.Errorf("keys = %s", b)
	}
}

func TestTokenRenewIsCappedAndExpiryEnforced(t *testing.T) {
	s, clock := newTestServer(t)
	r := call(t, s, "POST", "auth/token/create", root, map[string]any{"policies": []string{"default"}, "ttl": "10m", "explicit_max_ttl": "15m"})
	tok := dig(r.body, "auth", "client_token").(string)
	clock.advance(5 * time.Minute)
	r = call(t, s, "POST", "auth/token/renew-self", tok, map[string]any{"increment": "1h"})
	wantStatus(t, r, 200)
	if d := dig(r.body, "auth", "lease_duration"); d != float64(600) {
		t.Errorf("lease_duration = %v, want 600", d)
	}
	want := `TTL of "1h0m0s" exceeded the effective max_ttl of "10m0s"; TTL value is capped accordingly`
	if w, _ := r.body["warnings"].([]any); len(w) != 1 || w[0] != want {
		t.Errorf("warnings = %v", r.body["warnings"])
	}
	clock.advance(10 * time.Minute)
	r = call(t, s, "GET", "auth/token/lookup-self", tok, nil)
	wantStatus(t, r, 403)
	if firstError(r) != errInvalidToken {
		t.Errorf("error = %q", firstError(r))
	}
}

func TestRootTokenCannotBeRenewed(t *testing.T) {
	s, _ := newTestServer(t)
	r := call(t, s, "POST", "auth/token/renew-self", root, nil)
	wantStatus(t, r, 400)
	if firstError(r) != "lease is not renewable" {
		t.Errorf("error = %q", firstError(r))
	}
}

func TestTokenNumUses(t *testing.T) {
	s, _ := newTestServer(t)
	tok := dig(call(t, s, "POST", "auth/token/create", root, map[string]any{"num_uses": 2}).body, "auth", "client_token").(string)
	wantStatus(t, call(t, s, "GET", "auth/token/lookup-self", tok, nil), 200)
	wantStatus(t, call(t, s, "GET", "auth/token/lookup-self", tok, nil), 200)
	wantStatus(t, call(t, s, "GET", "auth/token/lookup-self", tok, nil), 403)
}

func TestWrappedResponseExpires(t *testing.T) {
	s, clock := newTestServer(t)
	call(t, s, "POST", "secret/data/app", root, map[string]any{"data": map[string]any{"k": "v"}})
	r := call(t, s, "GET", "secret/data/app", root, nil, "X-Vault-Wrap-TTL", "30s")
	wantStatus(t, r, 200)
	if r.body["data"] != nil || dig(r.body, "wrap_info", "creation_path") != "secret/data/app" || dig(r.body, "wrap_info", "ttl") != float64(30) {
		t.Fatalf("wrapped body = %v", r.body)
	}
	wrap := dig(r.body, "wrap_info", "token").(string)
	wantStatus(t, call(t, s, "POST", "sys/wrapping/lookup", "", map[string]any{"token": wrap}), 200)
	clock.advance(31 * time.Second)
	r = call(t, s, "POST", "sys/wrapping/unwrap", wrap, nil)
	wantStatus(t, r, 400)
	if firstError(r) != errInvalidWrappingToken {
		t.Errorf("error = %q", firstError(r))
	}
}

func TestSealedAnswers503ExceptHealth(t *testing.T) {
	s, _ := newTestServer(t)
	wantStatus(t, call(t, s, "PUT", "sys/seal", root, nil), 204)
	r := call(t, s, "GET", "secret/data/x", root, nil)
	wantStatus(t, r, 503)
	if firstError(r) != "Vault is sealed" {
		t.Errorf("error = %q", firstError(r))
	}
	wantStatus(t, call(t, s, "GET", "sys/health?sealedcode=200", "", nil), 200)
	wantStatus(t, call(t, s, "GET", "sys/seal-status", "", nil), 200)
	wantStatus(t, call(t, s, "PUT", "sys/unseal", "", map[string]any{"key": "anything"}), 200)
	wantStatus(t, call(t, s, "GET", "secret/data/x", root, nil), 404)
}

func TestRateLimitWithoutHeadersHasNoRetryAfter(t *testing.T) {
	s, clock := newTestServer(t)
	call(t, s, "POST", "sys/quotas/rate-limit/global", root, map[string]any{"rate": 1, "interval": "10s"})
	wantStatus(t, call(t, s, "GET", "secret/data/x", root, nil), 404)
	r := call(t, s, "GET", "secret/data/x", root, nil)
	wantStatus(t, r, 429)
	if r.header.Get("Retry-After") != "" {
		t.Error("Retry-After must be absent while response headers are disabled")
	}
	wantStatus(t, call(t, s, "GET", "sys/health", "", nil), 200) // exempt
	clock.advance(10 * time.Second)
	wantStatus(t, call(t, s, "GET", "secret/data/x", root, nil), 404)
}

func TestNamespacesScopeTokensAndMounts(t *testing.T) {
	s, _ := newTestServer(t)
	wantStatus(t, call(t, s, "POST", "sys/namespaces/a", root, nil), 200)
	wantStatus(t, call(t, s, "POST", "sys/namespaces/b", root, nil, "X-Vault-Namespace", "a"), 200)
	wantStatus(t, call(t, s, "POST", "sys/mounts/kv", root, map[string]any{"type": "kv", "options": map[string]any{"version": "1"}}, "X-Vault-Namespace", "a/b"), 204)
	wantStatus(t, call(t, s, "PUT", "a/b/kv/x", root, map[string]any{"k": "v"}), 204)
	if v := dig(call(t, s, "GET", "kv/x", root, nil, "X-Vault-Namespace", "a/b").body, "data", "k"); v != "v" {
		t.Errorf("read through the namespace header = %v", v)
	}
	tok := dig(call(t, s, "POST", "auth/token/create", root, nil, "X-Vault-Namespace", "a").body, "auth", "client_token").(string)
	wantStatus(t, call(t, s, "GET", "kv/x", tok, nil, "X-Vault-Namespace", "a/b"), 200)
	wantStatus(t, call(t, s, "GET", "auth/token/lookup-self", tok, nil), 403)
	wantStatus(t, call(t, s, "GET", "sys/health", "", nil, "X-Vault-Namespace", "a"), 400)
}

func TestUIMountsForUnknownPathIsForbidden(t *testing.T) {
	s, _ := newTestServer(t)
	r := call(t, s, "GET", "sys/internal/ui/mounts/secret/app", root, nil)
	wantStatus(t, r, 200)
	if dig(r.body, "data", "options", "version") != "2" || dig(r.body, "data", "path") != "secret/" {
		t.Errorf("mount info = %v", r.body["data"])
	}
	wantStatus(t, call(t, s, "GET", "sys/internal/ui/mounts/nope", root, nil), 403)
}

func TestAppRoleSecretIDNumUsesAndTTL(t *testing.T) {
	s, clock := newTestServer(t)
	call(t, s, "POST", "sys/auth/approle", root, map[string]any{"type": "approle"})
	call(t, s, "POST", "auth/approle/role/r", root, map[string]any{"secret_id_ttl": "1m", "token_ttl": "1h", "token_max_ttl": "2h"})
	roleID := dig(call(t, s, "GET", "auth/approle/role/r/role-id", root, nil).body, "data", "role_id")
	sid := dig(call(t, s, "POST", "auth/approle/role/r/secret-id", root, nil).body, "data", "secret_id")
	r := call(t, s, "POST", "auth/approle/login", "", map[string]any{"role_id": roleID, "secret_id": sid})
	wantStatus(t, r, 200)
	if dig(r.body, "auth", "lease_duration") != float64(3600) {
		t.Errorf("lease_duration = %v", dig(r.body, "auth", "lease_duration"))
	}
	clock.advance(2 * time.Minute)
	r = call(t, s, "POST", "auth/approle/login", "", map[string]any{"role_id": roleID, "secret_id": sid})
	wantStatus(t, r, 400)
	if firstError(r) != "invalid role or secret ID" {
		t.Errorf("error = %q", firstError(r))
	}
}

func TestRunPrintsVersion(t *testing.T) {
	var out strings.Builder
	if code := run([]string{"version"}, &out, &out); code != 0 || out.String() != "OpenBao v2.6.1+devbao (API-compatible test server)\n" {
		t.Errorf("run(version) = %d, %q", code, out.String())
	}
}

func TestBearerTokenHeadAndList(t *testing.T) {
	s, _ := newTestServer(t)
	req := httptest.NewRequest("GET", "/v1/auth/token/lookup-self", nil)
	req.Header.Set("Authorization", "Bearer "+root)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("Bearer token: status %d", rec.Code)
	}
	head := httptest.NewRecorder()
	s.ServeHTTP(head, httptest.NewRequest("HEAD", "/v1/sys/health", nil))
	if head.Code != 200 || head.Body.Len() != 0 {
		t.Errorf("HEAD sys/health: %d with %d body bytes", head.Code, head.Body.Len())
	}
	call(t, s, "POST", "sys/mounts/kv1", root, map[string]any{"type": "kv"})
	call(t, s, "PUT", "kv1/a/b", root, map[string]any{"k": "v"})
	if keys := dig(call(t, s, "GET", "kv1/a?list=true", root, nil).body, "data", "keys"); len(keys.([]any)) != 1 {
		t.Errorf("list keys = %v", keys)
	}
	wantStatus(t, call(t, s, "LIST", "kv1/none", root, nil), 404)
	wantStatus(t, call(t, s, "PUT", "kv1/dir/", root, map[string]any{"k": "v"}), 400)
}
