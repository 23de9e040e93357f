package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/internal/app"
	"github.com/hookgate/hookgate/internal/verify"
)

type sendFlags struct {
	config, source   string
	provider, secret string
	url, body        string
	headers          []string
	contentType      string
	method           string
	publicURL        string
	signatureMethod  string
	hmac             verify.HMACOptions
	timeout          time.Duration
}

func newSendCmd(e *env) *cobra.Command {
	var f sendFlags
	cmd := &cobra.Command{
		Use:   "send",
		Short: "Sign a request exactly as a provider would and send it",
		Long: `send signs a body with a provider's scheme and POSTs it, for testing a gateway
(or any receiver) end to end. Name the provider and secret with flags, or take
them from a source of a config file with --config and --source (the URL then
defaults to that config's listen address).`,
		Example: `  hookgate send --provider github --secret S --url http://127.0.0.1:8080/in/github --header X-GitHub-Event=push --body event.json
  echo '{"order":42}' | hookgate send --config examples/quickstart.yaml --source orders --body -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSend(cmd.Context(), e, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "take provider, secret and URL from this config file (with --source)")
	fl.StringVar(&f.source, "source", "", "the source of --config to sign for")
	fl.StringVar(&f.provider, "provider", "", "provider preset: "+strings.Join(verify.Names(), ", "))
	fl.StringVar(&f.secret, "secret", "", "secret to sign with")
	fl.StringVar(&f.url, "url", "", "where to send")
	fl.StringVar(&f.body, "body", "", "file holding the body, or - for standard input (default: {})")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, "extra header K=V (repeatable)")
	fl.StringVar(&f.contentType, "content-type", "application/json", "Content-Type of the body")
	fl.StringVar(&f.hmac.Header, "hmac-header", "", "provider hmac: signature header")
	fl.StringVar(&f.hmac.Algorithm, "hmac-algorithm", "sha256", "provider hmac: sha1, sha256 or sha512")
	fl.StringVar(&f.hmac.Encoding, "hmac-encoding", "hex", "provider hmac: hex or base64")
	fl.StringVar(&f.hmac.Prefix, "hmac-prefix", "", "provider hmac: prefix before the signature")
	fl.StringVar(&f.method, "method", http.MethodPost, "HTTP method (GET puts form parameters in the query, for vonage-sms)")
	fl.StringVar(&f.publicURL, "public-url", "", "the URL the provider signs, for providers that sign it (default: --url)")
	fl.StringVar(&f.signatureMethod, "signature-method", "", "provider vonage-sms: md5hash, md5hmac, sha1hmac, sha256hmac or sha512hmac")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "request timeout")
	return cmd
}

func runSend(ctx context.Context, e *env, f sendFlags) error {
	opts := verify.Options{Secrets: []string{f.secret}, PublicURL: f.publicURL, SignatureMethod: f.signatureMethod}
	if f.provider == "hmac" {
		opts.HMAC = f.hmac // the other providers refuse hmac options
	}
	if f.config != "" {
		if err := fromSource(e, &f, &opts); err != nil {
			return err
		}
	}
	switch {
	case f.provider == "":
		return errors.New("--provider is required (or --config with --source)")
	case f.url == "":
		return errors.New("--url is required (or --config with --source)")
	}
	signer, err := verify.NewSigner(f.provider, opts)
	if err != nil {
		return err
	}
	body, err := readBody(e, f.body)
	if err != nil {
		return err
	}
	u, err := url.Parse(f.url)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	h := http.Header{}
	h.Set("Content-Type", f.contentType)
	for _, kv := range f.headers {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return fmt.Errorf("--header %q: want K=V", kv)
		}
		h.Add(k, v)
	}
	vr := &verify.Request{Method: f.method, URL: u, Host: u.Host, Header: h, Body: body, Now: time.Now()}
	if err := signer.Sign(vr); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	// Some schemes carry the signature in the body or the query: send the
	// request as Sign left it.
	req, err := http.NewRequestWithContext(ctx, vr.Method, vr.URL.String(), bytes.NewReader(vr.Body))
	if err != nil {
		return err
	}
	req.Header = vr.Header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("send: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(e.stdout, "%s\n%s", resp.Status, answer)
	if len(answer) > 0 && answer[len(answer)-1] != '\n' {
		fmt.Fprintln(e.stdout)
	}
	if resp.StatusCode/100 != 2 {
		return &exitError{code: 1, err: fmt.Errorf("answered %s", resp.Status)}
	}
	return nil
}

// fromSource fills provider, options and URL from a config's source.
func fromSource(e *env, f *sendFlags, opts *verify.Options) error {
	if f.source == "" {
		return errors.New("--config needs --source")
	}
	cfg, err := loadConfig(e, f.config)
	if err != nil {
		return err
	}
	for _, s := range cfg.Sources {
		if s.Name != f.source {
			continue
		}
		f.provider = s.Provider
		*opts = app.VerifyOptions(s)
		if f.url == "" {
			f.url = "http://" + dialable(cfg.Listen) + "/in/" + s.Name
		}
		return nil
	}
	return fmt.Errorf("%s has no source named %q", cfg.File, f.source)
}

// dialable turns a listen address such as ":8080" into one to connect to.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func readBody(e *env, name string) ([]byte, error) {
	switch name {
	case "":
		return []byte("{}"), nil
	case "-":
		return io.ReadAll(e.stdin)
	default:
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("--body: %w", err)
		}
		return b, nil
	}
}
