package main

import (
	"encoding/json"
	"time"
)

type wrapEntry struct {
	token           string
	accessor        string
	ttl             time.Duration
	created         time.Time
	creationPath    string
	wrappedAccessor string
	body            json.RawMessage
}

const errInvalidWrappingToken = "wrapping token is not valid or does not exist"

// wrapResponse stores the response and returns only wrap_info, as OpenBao's cubbyhole
// response wrapping does.
func (s *Server) wrapResponse(req *request, out *resp) *resp {
	inner, _ := json.Marshal(envelope(req, out))
	w := &wrapEntry{
		token: newTokenID(), accessor: randomString(24), ttl: req.wrapTTL, created: s.now(),
		creationPath: req.ns.Path + req.path, body: inner,
	}
	if out.auth != nil {
		w.wrappedAccessor, _ = out.auth["accessor"].(string)
	}
	s.wraps[w.token] = w
	info := map[string]any{
		"token": w.token, "accessor": w.accessor, "ttl": seconds(w.ttl),
		"creation_time": formatTime(w.created), "creation_path": w.creationPath,
	}
	if w.wrappedAccessor != "" {
		info["wrapped_accessor"] = w.wrappedAccessor
	}
	return &resp{status: 200, wrapInfo: info, warnings: out.warnings}
}

func (s *Server) liveWrap(token string) *wrapEntry {
	w := s.wraps[token]
	if w == nil {
		return nil
	}
	if !s.now().Before(w.created.Add(w.ttl)) {
		delete(s.wraps, token)
		return nil
	}
	return w
}

// sys/wrapping/{unwrap,lookup,wrap}
func (s *Server) handleWrapping(req *request, op string) *resp {
	if req.op != "update" && !(op == "lookup" && req.op == "read") {
		return unsupportedOp()
	}
	token := stringField(req.data, "token")
	if token == "" {
		token = req.rawToken
	}
	switch op {
	case "unwrap":
		w := s.liveWrap(token)
		if w == nil {
			return badRequest(errInvalidWrappingToken)
		}
		delete(s.wraps, token) // single use
		var body map[string]any
		dec := json.NewDecoder(bytesReader(w.body))
		dec.UseNumber()
		_ = dec.Decode(&body)
		body["request_id"] = req.id
		return &resp{status: 200, raw: body}
	case "lookup":
		w := s.liveWrap(token)
		if w == nil {
			return badRequest(errInvalidWrappingToken)
		}
		return ok(map[string]any{
			"creation_path": w.creationPath, "creation_time": formatTime(w.created),
			"creation_ttl": seconds(w.ttl),
		})
	case "wrap":
		if req.wrapTTL == 0 {
			return badRequest("wrapping TTL must be specified (X-Vault-Wrap-TTL)")
		}
		data := map[string]any{}
		for k, v := range req.data {
			data[k] = v
		}
		return ok(data)
	}
	return errResp(404, errUnsupportedP)
}
