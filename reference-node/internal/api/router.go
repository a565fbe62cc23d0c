package api

import (
	"context"
	"net/http"
	"sort"
	"strings"
)

// router matches "METHOD /path/{param}" patterns (Go 1.19's ServeMux has no
// methods or parameters). A path that matches with another method is a 405.
type router struct {
	routes []route
}

type route struct {
	method  string
	pattern string   // as registered, used as the metrics label
	parts   []string // split pattern; "{x}" segments match anything
	public  bool
	h       http.HandlerFunc
}

type ctxKey int

const (
	paramsKey ctxKey = iota
	routeKey
)

func (rt *router) handle(method, pattern string, public bool, h http.HandlerFunc) {
	rt.routes = append(rt.routes, route{method, pattern, split(pattern), public, h})
}

func split(p string) []string { return strings.Split(strings.Trim(p, "/"), "/") }

func (r route) match(parts []string) (map[string]string, bool) {
	if len(parts) != len(r.parts) {
		return nil, false
	}
	var params map[string]string
	for i, p := range r.parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if parts[i] == "" {
				return nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[p[1:len(p)-1]] = parts[i]
			continue
		}
		if p != parts[i] {
			return nil, false
		}
	}
	return params, true
}

// lookup finds the route for a request. allowed lists the methods of routes
// whose path matched when none matched the method too.
func (rt *router) lookup(method, path string) (*route, map[string]string, []string) {
	parts := split(path)
	var allowed []string
	for i := range rt.routes {
		r := &rt.routes[i]
		params, ok := r.match(parts)
		if !ok {
			continue
		}
		if r.method == method || (method == http.MethodHead && r.method == http.MethodGet) {
			return r, params, nil
		}
		allowed = append(allowed, r.method)
	}
	sort.Strings(allowed)
	return nil, nil, allowed
}

// param returns a path parameter of the current request.
func param(r *http.Request, name string) string {
	m, _ := r.Context().Value(paramsKey).(map[string]string)
	return m[name]
}

func withValue(r *http.Request, k ctxKey, v interface{}) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), k, v))
}
