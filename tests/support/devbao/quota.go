package main

import (
	"math"
	"strconv"
	"strings"
	"time"
)

type rateQuota struct {
	name     string
	path     string // "", "ns1/", "secret/", "secret/data/app" or a glob ending in "*"
	rate     float64
	interval time.Duration
	windows  map[string]*rateWindow // per client address, as OpenBao does
}

type rateWindow struct {
	start time.Time
	count int
}

type quotaConfig struct {
	headers     bool
	auditLog    bool
	exemptPaths []string
}

var defaultExempt = []string{
	"sys/generate-recovery-token/attempt", "sys/generate-recovery-token/update",
	"sys/generate-root/attempt", "sys/generate-root/update",
	"sys/health", "sys/seal-status", "sys/unseal",
}

// pickQuota chooses the most specific quota: path, then mount, then namespace, then global.
func (s *Server) pickQuota(req *request) *rateQuota {
	full := req.ns.Path + req.path
	mountPath := ""
	if m, _ := req.ns.matchMount(req.path); m != nil {
		mountPath = req.ns.Path + m.Path
	}
	if strings.HasPrefix(req.path, "auth/") {
		if m, _ := req.ns.matchAuth(strings.TrimPrefix(req.path, "auth/")); m != nil {
			mountPath = req.ns.Path + "auth/" + m.Path
		}
	}
	var best *rateQuota
	bestRank := -1
	for _, q := range s.quotas {
		rank := -1
		switch {
		case q.path == "":
			rank = 0
		case strings.HasSuffix(q.path, "/") && q.path == mountPath:
			rank = 2
		case strings.HasSuffix(q.path, "/") && strings.HasPrefix(full, q.path) && s.root.lookup(q.path) != nil:
			rank = 1
		case strings.HasSuffix(q.path, "*") && strings.HasPrefix(full, strings.TrimSuffix(q.path, "*")):
			rank = 3
		case q.path == full:
			rank = 4
		}
		if rank > bestRank {
			best, bestRank = q, rank
		}
	}
	return best
}

// applyQuota answers 429 when the request's quota is used up, as OpenBao does.
// The second result holds the X-Ratelimit-* headers for an allowed request.
func (s *Server) applyQuota(req *request) (*resp, map[string]string) {
	if len(s.quotas) == 0 {
		return nil, nil
	}
	for _, p := range append(append([]string{}, defaultExempt...), s.quotaConfig.exemptPaths...) {
		if req.path == p || (strings.HasSuffix(p, "*") && strings.HasPrefix(req.path, strings.TrimSuffix(p, "*"))) {
			return nil, nil
		}
	}
	q := s.pickQuota(req)
	if q == nil {
		return nil, nil
	}
	now := s.now()
	w := q.windows[req.remoteAddr]
	if w == nil || !now.Before(w.start.Add(q.interval)) {
		w = &rateWindow{start: now}
		q.windows[req.remoteAddr] = w
	}
	limit := int(math.Max(1, math.Floor(q.rate)))
	reset := w.start.Add(q.interval)
	allowed := w.count < limit
	if allowed {
		w.count++
	}
	headers := map[string]string{}
	if s.quotaConfig.headers {
		headers["X-Ratelimit-Limit"] = strconv.Itoa(limit)
		headers["X-Ratelimit-Remaining"] = strconv.Itoa(limit - w.count)
		headers["X-Ratelimit-Reset"] = strconv.FormatInt(reset.Unix(), 10)
		if !allowed {
			headers["Retry-After"] = strconv.Itoa(int(math.Max(1, math.Ceil(reset.Sub(now).Seconds()))))
		}
	}
	if allowed {
		return nil, headers
	}
	out := errResp(429, "request path "+strconv.Quote(req.path)+": rate limit quota exceeded")
	out.headers = headers
	return out, nil
}

// sys/quotas/config and sys/quotas/rate-limit[/<name>]
func (s *Server) handleQuotas(req *request, rest string) *resp {
	if rest == "config" {
		switch req.op {
		case "read":
			exempt := append(append([]string{}, defaultExempt...), s.quotaConfig.exemptPaths...)
			return ok(map[string]any{
				"enable_rate_limit_response_headers": s.quotaConfig.headers,
				"enable_rate_limit_audit_logging":    s.quotaConfig.auditLog,
				"rate_limit_exempt_paths":            exempt,
			})
		case "update":
			var bad *resp
			if s.quotaConfig.headers, bad = boolField(req.data, "enable_rate_limit_response_headers", s.quotaConfig.headers); bad != nil {
				return bad
			}
			if s.quotaConfig.auditLog, bad = boolField(req.data, "enable_rate_limit_audit_logging", s.quotaConfig.auditLog); bad != nil {
				return bad
			}
			if v, present := req.data["rate_limit_exempt_paths"]; present {
				s.quotaConfig.exemptPaths = stringList(v)
			}
			return noContent()
		}
		return unsupportedOp()
	}
	after, isRate := strings.CutPrefix(rest, "rate-limit")
	if !isRate {
		return errResp(404, errUnsupportedP)
	}
	name := strings.Trim(after, "/")
	if name == "" {
		if req.op != "list" {
			return unsupportedOp()
		}
		if len(s.quotas) == 0 {
			return notFound()
		}
		return ok(map[string]any{"keys": sortedKeys(s.quotas)})
	}
	q := s.quotas[name]
	switch req.op {
	case "read":
		if q == nil {
			return notFound()
		}
		return ok(map[string]any{
			"name": q.name, "path": q.path, "rate": q.rate, "interval": seconds(q.interval),
			"type": "rate-limit", "block_interval": 0, "role": "", "inheritable": false,
		})
	case "update":
		rate, err := strconv.ParseFloat(stringField(req.data, "rate"), 64)
		if err != nil || rate <= 0 {
			return badRequest("invalid rate %v", req.data["rate"])
		}
		interval := time.Second
		if _, present := req.data["interval"]; present {
			d, bad := durationField(req.data, "interval")
			if bad != nil {
				return bad
			}
			if d > 0 {
				interval = d
			}
		}
		path := strings.TrimPrefix(stringField(req.data, "path"), "/")
		path = req.ns.Path + path
		s.quotas[name] = &rateQuota{name: name, path: path, rate: rate, interval: interval, windows: map[string]*rateWindow{}}
		return noContent()
	case "delete":
		delete(s.quotas, name)
		return noContent()
	}
	return unsupportedOp()
}
