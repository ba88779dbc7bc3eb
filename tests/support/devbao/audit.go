package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"strings"
)

type auditDevice struct {
	path    string
	typ     string
	options map[string]string
	w       io.Writer
	f       *os.File
}

func (a *auditDevice) close() {
	if a.f != nil {
		_ = a.f.Close()
	}
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// hmacString salts a value the way OpenBao's audit devices do.
func (s *Server) hmacString(v string) string {
	if v == "" {
		return ""
	}
	m := hmac.New(sha256.New, s.hmacKey)
	m.Write([]byte(v))
	return "hmac-sha256:" + hex.EncodeToString(m.Sum(nil))
}

// hashValues replaces every string leaf with its HMAC; structure, numbers and booleans stay.
func (s *Server) hashValues(v any) any {
	switch x := v.(type) {
	case string:
		return s.hmacString(x)
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = s.hashValues(e)
		}
		return out
	case map[string]string:
		out := map[string]any{}
		for k, e := range x {
			out[k] = s.hmacString(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = s.hashValues(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = s.hmacString(e)
		}
		return out
	}
	return v
}

// Requests OpenBao serves outside its logical layer, and so never audits.
var notAudited = map[string]bool{"sys/health": true, "sys/seal-status": true, "sys/leader": true, "sys/unseal": true}

// audit writes one request line and one response line to every audit device.
func (s *Server) auditDevices() []*auditDevice {
	var out []*auditDevice
	for _, name := range sortedKeys(s.audits) {
		out = append(out, s.audits[name])
	}
	return out
}

func (s *Server) audit(devices []*auditDevice, req *request, out *resp) {
	if len(devices) == 0 || notAudited[req.path] {
		return
	}
	now := formatTime(s.now())
	var authEntry map[string]any
	if t := req.token; t != nil {
		authEntry = map[string]any{
			"client_token": s.hmacString(t.ID), "accessor": s.hmacString(t.Accessor),
			"display_name": t.DisplayName, "policies": t.Policies, "token_policies": t.Policies,
			"metadata": t.Meta, "entity_id": "", "token_type": "service",
			"token_ttl": seconds(t.TTL), "token_issue_time": formatTime(t.Created),
		}
	} else {
		authEntry = map[string]any{"token_type": "default"}
	}
	reqEntry := map[string]any{
		"id": req.id, "operation": req.op, "mount_type": req.mountType,
		"client_token": s.hmacString(req.rawToken), "namespace": map[string]any{"id": req.ns.ID, "path": req.ns.Path},
		"path": req.path, "remote_address": req.remoteAddr,
	}
	if req.token != nil {
		reqEntry["client_token_accessor"] = s.hmacString(req.token.Accessor)
	}
	if len(req.data) > 0 {
		reqEntry["data"] = s.hashValues(req.data)
	}
	if req.wrapTTL > 0 {
		reqEntry["wrap_ttl"] = seconds(req.wrapTTL)
	}
	errText := strings.Join(out.errs, "; ")
	reqLine := map[string]any{"time": now, "type": "request", "auth": authEntry, "request": reqEntry}
	respEntry := map[string]any{"mount_type": req.mountType}
	if out.data != nil {
		respEntry["data"] = s.hashValues(out.data)
	}
	if out.raw != nil {
		respEntry["data"] = s.hashValues(toAny(out.raw))
	}
	if out.auth != nil {
		a := map[string]any{}
		for k, v := range out.auth {
			a[k] = v
		}
		a["client_token"] = s.hmacString(stringField(out.auth, "client_token"))
		a["accessor"] = s.hmacString(stringField(out.auth, "accessor"))
		respEntry["auth"] = a
	}
	if out.wrapInfo != nil {
		w := map[string]any{}
		for k, v := range out.wrapInfo {
			w[k] = v
		}
		w["token"] = s.hmacString(stringField(out.wrapInfo, "token"))
		w["accessor"] = s.hmacString(stringField(out.wrapInfo, "accessor"))
		respEntry["wrap_info"] = w
	}
	if len(out.warnings) > 0 {
		respEntry["warnings"] = out.warnings
	}
	respLine := map[string]any{"time": now, "type": "response", "auth": authEntry, "request": reqEntry, "response": respEntry}
	if errText != "" {
		reqLine["error"], respLine["error"] = errText, errText
	}
	for _, a := range devices {
		if a.w == nil {
			continue
		}
		for _, line := range []map[string]any{reqLine, respLine} {
			b, _ := json.Marshal(line)
			_, _ = a.w.Write(append(b, '\n'))
		}
	}
}

func toAny(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// sys/audit and sys/audit/<path>
func (s *Server) handleAudit(req *request, rest string) *resp {
	if req.ns != s.root {
		return badRequest("audit devices are only available in the root namespace")
	}
	path := normalizeMountPath(rest)
	if path == "" {
		if req.op != "read" {
			return unsupportedOp()
		}
		data := map[string]any{}
		for k, a := range s.audits {
			data[k] = map[string]any{"type": a.typ, "description": "", "options": a.options, "path": k, "local": false}
		}
		out := ok(data)
		out.topLevel = true
		return out
	}
	switch req.op {
	case "update":
		if s.audits[path] != nil {
			return badRequest("path already in use")
		}
		typ := stringField(req.data, "type")
		if typ != "file" {
			return badRequest("unknown backend type: %q", typ)
		}
		opts := map[string]string{}
		if o, isMap := req.data["options"].(map[string]any); isMap {
			for k, v := range o {
				opts[k] = stringField(map[string]any{"v": v}, "v")
			}
		}
		a := &auditDevice{path: path, typ: typ, options: opts}
		switch fp := opts["file_path"]; fp {
		case "":
			return badRequest("file_path is required")
		case "stdout":
			a.w = os.Stdout
		case "discard":
			a.w = io.Discard
		default:
			f, err := os.OpenFile(fp, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
			if err != nil {
				return badRequest("sanity check failed; unable to open %q for writing: %v", fp, err)
			}
			a.w, a.f = f, f
		}
		s.audits[path] = a
		return noContent()
	case "delete":
		if a := s.audits[path]; a != nil {
			a.close()
			a.w = nil
			delete(s.audits, path)
		}
		return noContent()
	}
	return unsupportedOp()
}

// sys/audit-hash/<path> {input} → {hash}
func (s *Server) handleAuditHash(req *request, rest string) *resp {
	if s.audits[normalizeMountPath(rest)] == nil {
		return badRequest("unknown audit backend %s", normalizeMountPath(rest))
	}
	return ok(map[string]any{"hash": s.hmacString(stringField(req.data, "input"))})
}
