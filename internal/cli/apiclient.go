package cli

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// apiFlags are the flags of every command that works through a running
// gateway's management API: where it is and which token to send. They are
// on each API command (events, deliveries, replay, dead, stats) rather than
// on the root, where --token would be ambiguous beside `listen --token`.
type apiFlags struct {
	gateway string
	token   string
}

func (f *apiFlags) register(cmd *cobra.Command, e *env) {
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.gateway, "gateway", cmp.Or(e.getenv("HOOKGATE_URL"), "http://127.0.0.1:8080"),
		"the gateway's URL, or api.listen's when set (env HOOKGATE_URL)")
	pf.StringVar(&f.token, "token", e.getenv("HOOKGATE_TOKEN"), "a management API token from api.tokens (env HOOKGATE_TOKEN)")
}

// apiTimeout bounds one API call.
const apiTimeout = time.Minute

// apiClient calls the management API.
type apiClient struct {
	base  string // ends in /api/v1
	token string
	http  *http.Client
}

func (f *apiFlags) client() (*apiClient, error) {
	u, err := url.Parse(f.gateway)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--gateway %q: want an http or https URL such as http://127.0.0.1:8080", f.gateway)
	}
	if f.token == "" {
		return nil, errors.New("no API token: give --token or set HOOKGATE_TOKEN (a token from the gateway's api.tokens)")
	}
	return &apiClient{base: strings.TrimSuffix(f.gateway, "/") + "/api/v1", token: f.token, http: &http.Client{Timeout: apiTimeout}}, nil
}

// apiError is an error answer of the API, printed as "STATUS: message".
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d: %s", e.Status, e.Message) }

// do calls method path (under /api/v1) with query q and, when in is not
// nil, in as a JSON body; it decodes a 2xx answer into out (when not nil).
func (c *apiClient) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the gateway: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("read the gateway's answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return answerError(resp.StatusCode, b)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("the gateway's answer to %s %s is not what was expected: %w", method, path, err)
	}
	return nil
}

// answerError reads an error answer; one that is not the API's JSON (a
// proxy's page, an old gateway) is shown by its status alone.
func answerError(status int, b []byte) error {
	var e struct {
		Error struct{ Code, Message string } `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		return &apiError{Status: status, Code: e.Error.Code, Message: e.Error.Message}
	}
	return &apiError{Status: status, Message: http.StatusText(status) + " (not an answer of hookgate's API; is --gateway right?)"}
}

// printJSON prints v indented.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// fmtTime prints a time for tables: UTC, to the second; "-" for none.
func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// apiTime turns a --since/--until flag into the API's RFC 3339, "" when
// unset.
func apiTime(f timeFlag) string {
	if f.t.IsZero() {
		return ""
	}
	return f.t.UTC().Format(time.RFC3339Nano)
}

// pageFlags are the flags every paged listing takes: a time range, the
// cursor of the previous page, the page size and --json.
type pageFlags struct {
	since, until timeFlag
	cursor       string
	limit        int
	json         bool
}

// register adds the flags to cmd; what names the listed items in the help
// ("events", "deliveries of events").
func (p *pageFlags) register(cmd *cobra.Command, what string) {
	fs := cmd.Flags()
	fs.Var(&p.since, "since", "only "+what+" received at or after this time (RFC 3339, a date, or a duration ago such as 24h)")
	fs.Var(&p.until, "until", "only "+what+" received before this time")
	fs.StringVar(&p.cursor, "cursor", "", "the page after this cursor (printed at the end of the previous page)")
	fs.IntVar(&p.limit, "limit", 50, "events per page (1 to 500)")
	fs.BoolVar(&p.json, "json", false, "print the API's JSON")
}

// query returns the listing's query parameters: the page's, and those set
// in filters (name, value pairs; empty values are left out).
func (p *pageFlags) query(filters ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(filters); i += 2 {
		setParam(q, filters[i], filters[i+1])
	}
	setParam(q, "since", apiTime(p.since))
	setParam(q, "until", apiTime(p.until))
	setParam(q, "cursor", p.cursor)
	q.Set("limit", strconv.Itoa(p.limit))
	return q
}
