package route

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// FuzzCompile compiles random expressions as every kind of route
// expression, and evaluates those that compile: nothing may panic, a
// refusal must be an *Error, and evaluation must end.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		`headers["x-github-event"] == "push" && body.ref == "refs/heads/main"`,
		`{"text": "push to " + body.repository.full_name}`,
		`body.commits.exists(c, c.message.contains("fix"))`,
		`body.commits.map(c, c.id).join(",")`,
		`"%s/%d".format([source, 1])`,
		`base64.encode(b"abc")`,
		`type in ["push", "issues"] ? query.a : headers.b`,
		`[1, 2, 3].all(x, [1, 2, 3].all(y, x * y > 0))`,
		`1 / 0`, `"a" +`, `((((`, `has(body.a.b.c)`, `body.x[0]["y"]`,
		`dyn(1) == 1.0`, `timestamp("2025-06-01T12:00:00Z")`, `duration("1h") > duration("1m")`,
		"\"\\u00e9\" == '\\xff'", `size(body) > 0u`, `!true || -1 < 1`,
	} {
		f.Add(s)
	}
	ev := push()
	f.Fuzz(func(t *testing.T, expr string) {
		// A hang is a failure too: crash, so the fuzzer keeps the input.
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				panic(fmt.Sprintf("expression %q took over 5s", expr))
			}
		}()
		specs := []Spec{
			{Filter: expr},
			{Transform: Transform{Body: expr}},
			{Transform: Transform{Headers: map[string]string{"X-Fuzz": expr}}},
			{OrderingKey: expr},
		}
		for _, s := range specs {
			r, err := Compile(s)
			if err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					var re *Error
					if !errors.As(e, &re) {
						t.Fatalf("Compile(%q): problem %v is a %T, want *Error", expr, e, e)
					}
				}
				continue
			}
			v := newVars(ev, nil)
			_, _ = r.match(v)
			_, _ = r.output(v)
		}
	})
}
