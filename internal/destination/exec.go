package destination

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookgate/hookgate/internal/event"
)

// InheritedEnv lists the variables a command inherits from hookgate's own
// environment, when set there. Nothing else of hookgate's environment (where
// its secrets live) reaches a command unless ExecConfig.PassEnv names it.
func InheritedEnv() []string {
	return []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"}
}

// defaultPath is the command's PATH when hookgate has none.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// waitDelay bounds how long a command's output is waited for once the
// command has exited (or been killed): a process it left running in the
// background may hold the output open.
const waitDelay = time.Second

// envNameRE is what a variable name may be.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ExecConfig configures an exec destination.
type ExecConfig struct {
	// Command is the program and its arguments, run directly: no shell
	// expands anything in them. A program name without a slash is looked up
	// in hookgate's PATH when the destination is built. Required.
	Command []string
	// Dir is the working folder. Default: hookgate's own.
	Dir string
	// Env sets variables for the command, on top of the inherited ones.
	// Names must not start with HOOKGATE_, which are hookgate's.
	Env map[string]string
	// PassEnv names more variables of hookgate's environment the command
	// inherits, beyond InheritedEnv.
	PassEnv []string
	// Headers names request headers passed to the command as
	// HOOKGATE_HEADER_<NAME> (upper case, '-' and other non-alphanumerics as
	// '_'; several values joined with ", "). Headers are not passed unless
	// named: they carry signatures and credentials.
	Headers []string
	// PermanentExitCodes are the exit codes that make a delivery dead at
	// once; any other non-zero code is retried. They must be 1 to 199 (see
	// Exec).
	PermanentExitCodes []int
	// Timeout bounds one run; at the deadline the command's whole process
	// group is killed. Zero leaves the bound to the caller's context.
	Timeout time.Duration
	// Concurrency caps the commands running at once. Default 16.
	Concurrency int
	// Getenv reads hookgate's environment, when the destination is built.
	// Default os.Getenv.
	Getenv func(string) string
}

// Exec delivers an event by running a command, with the event's body on its
// standard input and its fields in the environment:
//
//	HOOKGATE_EVENT_ID               hookgate's event id (also Webhook-Id)
//	HOOKGATE_SOURCE                 the source's name
//	HOOKGATE_EVENT_TYPE             the provider's event type, or empty
//	HOOKGATE_DELIVERY_ID            hookgate's delivery id
//	HOOKGATE_PROVIDER_DELIVERY_ID   the provider's own delivery id, or empty
//	HOOKGATE_ATTEMPT                the attempt, from 1
//	HOOKGATE_CONTENT_TYPE           the request's Content-Type
//	HOOKGATE_RECEIVED_AT            when hookgate received it (RFC 3339, UTC)
//	HOOKGATE_DESTINATION            the destination's name
//	HOOKGATE_HEADER_<NAME>          each header in ExecConfig.Headers
//
// Its standard output and error, interleaved, are the attempt's response
// (the first and last bytes, at most MaxResponse in all).
//
// Exit codes map onto Result.Status so the delivery policy classifies them:
// exit 0 is Status 200 (success); a code in PermanentExitCodes is Status =
// the code with no Err (a status below 200, which the policy takes as
// permanent: the delivery is dead); any other non-zero code is Status = the
// code with Err set ("exit status N"), which is retried. A command killed by
// a signal, one that timed out, and one that could not be started are
// retried with Status 0.
type Exec struct {
	path      string
	args      []string
	dir       string
	env       []string
	headers   []string // canonical names, in order
	permanent []int
	timeout   time.Duration
	slots     chan struct{}
}

var _ Destination = (*Exec)(nil)

// NewExec checks cfg and returns an exec destination.
func NewExec(cfg ExecConfig) (*Exec, error) {
	if len(cfg.Command) == 0 || cfg.Command[0] == "" {
		return nil, errors.New("command: required")
	}
	for _, a := range cfg.Command {
		if strings.IndexByte(a, 0) >= 0 {
			return nil, errors.New("command: arguments must not contain NUL")
		}
	}
	if cfg.Timeout < 0 || cfg.Concurrency < 0 {
		return nil, errors.New("timeout and concurrency must not be negative")
	}
	path := cfg.Command[0]
	if !strings.ContainsRune(path, os.PathSeparator) {
		p, err := exec.LookPath(path)
		if err != nil {
			return nil, fmt.Errorf("command: %w", err)
		}
		path = p
	}
	for _, c := range cfg.PermanentExitCodes {
		if c < 1 || c > 199 {
			return nil, fmt.Errorf("permanent_exit_codes: %d: want 1 to 199", c)
		}
	}
	env, err := execEnv(cfg)
	if err != nil {
		return nil, err
	}
	e := &Exec{
		path:      path,
		args:      slices.Clone(cfg.Command[1:]),
		dir:       cfg.Dir,
		env:       env,
		permanent: slices.Clone(cfg.PermanentExitCodes),
		timeout:   cfg.Timeout,
		slots:     make(chan struct{}, cmp.Or(cfg.Concurrency, 16)),
	}
	for _, h := range cfg.Headers {
		if !validToken(h) {
			return nil, fmt.Errorf("headers: %q: not a valid header name", h)
		}
		e.headers = append(e.headers, http.CanonicalHeaderKey(h))
	}
	return e, nil
}

// execEnv is the environment every run starts from: the inherited
// variables, then cfg.Env.
func execEnv(cfg ExecConfig) ([]string, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	vars := map[string]string{}
	for _, name := range append(InheritedEnv(), cfg.PassEnv...) {
		if !envNameRE.MatchString(name) {
			return nil, fmt.Errorf("pass_env: %q: not a variable name", name)
		}
		if v := getenv(name); v != "" && strings.IndexByte(v, 0) < 0 {
			vars[name] = v
		}
	}
	if vars["PATH"] == "" {
		vars["PATH"] = defaultPath
	}
	for name, v := range cfg.Env {
		switch {
		case !envNameRE.MatchString(name):
			return nil, fmt.Errorf("env: %q: not a variable name", name)
		case strings.HasPrefix(strings.ToUpper(name), "HOOKGATE_"):
			return nil, fmt.Errorf("env: %q: HOOKGATE_ variables are set by hookgate", name)
		case strings.IndexByte(v, 0) >= 0:
			return nil, fmt.Errorf("env: %q: value must not contain NUL", name)
		}
		vars[name] = v
	}
	env := make([]string, 0, len(vars))
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		env = append(env, name+"="+vars[name])
	}
	return env, nil
}

// Deliver runs the command once for ev. See Exec for how the outcome maps
// onto the Result.
func (e *Exec) Deliver(ctx context.Context, ev *event.Event, d event.Delivery) Result {
	if e.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.timeout)
		defer cancel()
	}
	select {
	case e.slots <- struct{}{}:
		defer func() { <-e.slots }()
	case <-ctx.Done():
		return Result{Err: fmt.Errorf("waiting for a free slot (concurrency %d): %w", cap(e.slots), ctx.Err())}
	}
	out := newOutput(MaxResponse)
	cmd := exec.CommandContext(ctx, e.path, e.args...)
	cmd.Dir = e.dir
	cmd.Env = e.runEnv(ev, d)
	cmd.Stdin = bytes.NewReader(ev.Body)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = waitDelay
	killGroupOnCancel(cmd)
	err := cmd.Run()
	res := Result{Response: out.Bytes()}
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	switch {
	case ctx.Err() != nil && code != 0:
		res.Err = e.describeTimeout(ctx)
	case code == 0:
		// Success, even if a background process it left kept the output
		// open past waitDelay (exec.ErrWaitDelay).
		res.Status = http.StatusOK
	case code > 0 && slices.Contains(e.permanent, code):
		res.Status = code
	case code > 0:
		res.Status, res.Err = code, fmt.Errorf("exit status %d", code)
	case cmd.ProcessState != nil:
		res.Err = fmt.Errorf("command ended: %s", cmd.ProcessState) // "signal: killed"
	default:
		res.Err = fmt.Errorf("start command: %w", err)
	}
	return res
}

func (e *Exec) describeTimeout(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		if e.timeout > 0 {
			return fmt.Errorf("timeout: command did not finish within %s; its process group was killed: %w", e.timeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("timeout: command did not finish before the deadline; its process group was killed: %w", context.DeadlineExceeded)
	}
	return fmt.Errorf("command cancelled; its process group was killed: %w", ctx.Err())
}

// runEnv is the environment of one run.
func (e *Exec) runEnv(ev *event.Event, d event.Delivery) []string {
	env := slices.Grow(slices.Clone(e.env), 9+len(e.headers))
	env = append(env,
		"HOOKGATE_EVENT_ID="+ev.ID,
		"HOOKGATE_SOURCE="+ev.Source,
		"HOOKGATE_EVENT_TYPE="+envSafe(ev.Type),
		"HOOKGATE_DELIVERY_ID="+d.ID,
		"HOOKGATE_PROVIDER_DELIVERY_ID="+envSafe(ev.DeliveryID),
		"HOOKGATE_ATTEMPT="+strconv.Itoa(d.Attempts+1),
		"HOOKGATE_CONTENT_TYPE="+envSafe(ev.ContentType()),
		"HOOKGATE_RECEIVED_AT="+ev.ReceivedAt.UTC().Format(time.RFC3339Nano),
		"HOOKGATE_DESTINATION="+d.Destination,
	)
	for _, h := range e.headers {
		if vs := ev.Header.Values(h); len(vs) > 0 {
			env = append(env, HeaderEnvName(h)+"="+envSafe(strings.Join(vs, ", ")))
		}
	}
	return env
}

// HeaderEnvName is the variable a header is passed in:
// "X-GitHub-Event" is HOOKGATE_HEADER_X_GITHUB_EVENT.
func HeaderEnvName(header string) string {
	b := []byte("HOOKGATE_HEADER_" + strings.ToUpper(header))
	for i := len("HOOKGATE_HEADER_"); i < len(b); i++ {
		if c := b[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// envSafe drops NUL bytes, which an environment cannot hold.
func envSafe(s string) string { return strings.ReplaceAll(s, "\x00", "") }
