package destination

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/hookgate/hookgate/internal/event"
)

const (
	testBucket    = "hooks"
	testAccessKey = "AKIDHOOKGATETEST"
	testSecretKey = "hookgate/test/secret/key/0123456789abcdef"
	testRegion    = "eu-west-1"
)

// s3Server starts an in-process S3 server (gofakes3 over its memory
// backend) with one bucket, behind a check of every request's AWS
// Signature Version 4 against the test credentials: it speaks S3's HTTP
// API, and refuses what real S3 would refuse for a bad signature.
func s3Server(t *testing.T) (*httptest.Server, *s3mem.Backend) {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(testBucket); err != nil {
		t.Fatal(err)
	}
	fake := gofakes3.New(backend, gofakes3.WithTimeSkewLimit(0))
	handler := fake.Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := checkSigV4(r); err != nil {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, "<Error><Code>SignatureDoesNotMatch</Code><Message>%s</Message></Error>", err)
			return
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, backend
}

// checkSigV4 verifies r's Authorization header as S3 does: it signs the
// same method, path, query and signed headers again with the test
// credentials and compares. A payload hash that is hex must also be the
// body's.
func checkSigV4(r *http.Request) error {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return errors.New("not signed with AWS4-HMAC-SHA256")
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
		fields[k] = v
	}
	if !strings.HasPrefix(fields["Credential"], testAccessKey+"/") {
		return errors.New("unknown access key")
	}
	at, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return errors.New("bad X-Amz-Date")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if _, err := hex.DecodeString(payload); err == nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return err
		}
		if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != payload {
			return errors.New("payload hash does not match the body")
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return err
	}
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		switch h {
		case "host":
		case "content-length":
			again.ContentLength = r.ContentLength
		default:
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}
	if err := signer.SignHTTP(r.Context(), creds, again, payload, "s3", testRegion, at); err != nil {
		return err
	}
	if again.Header.Get("Authorization") != auth {
		return errors.New("signature does not match")
	}
	return nil
}

func newS3(t *testing.T, cfg S3Config) *S3 {
	t.Helper()
	s, err := NewS3(cfg)
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	return s
}

func s3Config(endpoint string) S3Config {
	return S3Config{
		Bucket: testBucket, Endpoint: endpoint, Region: testRegion, PathStyle: true,
		AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, Timeout: 5 * time.Second,
	}
}

func getObject(t *testing.T, b *s3mem.Backend, key string) ([]byte, map[string]string) {
	t.Helper()
	obj, err := b.GetObject(testBucket, key, nil)
	if err != nil {
		t.Fatalf("get object %q: %v", key, err)
	}
	defer obj.Contents.Close()
	body, err := io.ReadAll(obj.Contents)
	if err != nil {
		t.Fatal(err)
	}
	return body, obj.Metadata
}

func TestS3PutsObject(t *testing.T) {
	t.Parallel()
	srv, backend := s3Server(t)
	cfg := s3Config(srv.URL)
	cfg.MetadataHeaders = []string{"X-GitHub-Event", "X-Absent"}
	s := newS3(t, cfg)
	body := []byte(`{"action":"opened","binary":"` + "\x01\x02" + `"}`)
	ev := testEvent(body, "application/json; charset=utf-8")
	ev.DeliveryID = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
	ev.Header.Set("X-GitHub-Event", "pull_request")
	res := s.Deliver(t.Context(), ev, testDelivery())
	wantKey := "github/2026-05-01/72d3162e-cc78-11e3-81ab-4c9367dc0958.json"
	if res.Status != http.StatusOK || res.Err != nil {
		t.Fatalf("Deliver = %+v (response %q), want status 200", res, res.Response)
	}
	if got, want := string(res.Response), "s3://hooks/"+wantKey; got != want {
		t.Errorf("Response = %q, want %q", got, want)
	}
	got, meta := getObject(t, backend, wantKey)
	if !bytes.Equal(got, body) {
		t.Errorf("object body = %q, want %q", got, body)
	}
	want := map[string]string{
		"Content-Type":                   "application/json; charset=utf-8",
		"X-Amz-Meta-Hookgate-Event-Id":   ev.ID,
		"X-Amz-Meta-Hookgate-Source":     "github",
		"X-Amz-Meta-Hookgate-Event-Type": "push",
		"X-Amz-Meta-X-Github-Event":      "pull_request",
	}
	for k, v := range want {
		if meta[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, meta[k], v)
		}
	}
	if v, ok := meta["X-Amz-Meta-X-Absent"]; ok {
		t.Errorf("metadata for an absent header = %q, want none", v)
	}
}

func TestS3KeyTemplateAndFallbacks(t *testing.T) {
	t.Parallel()
	srv, backend := s3Server(t)
	cfg := s3Config(srv.URL)
	cfg.Key = "raw/{source}/{year}/{month}/{day}/{hour}/{type}-{id}.{ext}"
	s := newS3(t, cfg)
	ev := testEvent([]byte("a=1&b=2"), "application/x-www-form-urlencoded")
	ev.Type = ""
	// No provider delivery id: {id} is the event id. An empty type is "_".
	if res := s.Deliver(t.Context(), ev, testDelivery()); res.Status != http.StatusOK {
		t.Fatalf("Deliver = %+v (%s)", res, res.Response)
	}
	body, meta := getObject(t, backend, "raw/github/2026/05/01/12/_-"+ev.ID+".form")
	if string(body) != "a=1&b=2" || meta["Content-Type"] != "application/x-www-form-urlencoded" {
		t.Errorf("object = %q with type %q", body, meta["Content-Type"])
	}
}

func TestS3NoContentTypeIsOctetStream(t *testing.T) {
	t.Parallel()
	srv, backend := s3Server(t)
	s := newS3(t, s3Config(srv.URL))
	ev := testEvent([]byte{0, 1, 2, 0xff}, "")
	if res := s.Deliver(t.Context(), ev, testDelivery()); res.Status != http.StatusOK {
		t.Fatalf("Deliver = %+v (%s)", res, res.Response)
	}
	body, meta := getObject(t, backend, "github/2026-05-01/"+ev.ID+".json")
	if !bytes.Equal(body, []byte{0, 1, 2, 0xff}) || meta["Content-Type"] != "application/octet-stream" {
		t.Errorf("object = %x with type %q", body, meta["Content-Type"])
	}
}

func TestS3Failures(t *testing.T) {
	t.Parallel()
	srv, _ := s3Server(t)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()

	wrongKey := s3Config(srv.URL)
	wrongKey.SecretAccessKey = "not-the-secret"
	noBucket := s3Config(srv.URL)
	noBucket.Bucket = "missing"
	tests := []struct {
		name       string
		cfg        S3Config
		wantStatus int
		wantErr    bool
		wantText   string
	}{
		{"server down", s3Config(downURL), 0, true, ""},
		{"bad signature", wrongKey, http.StatusForbidden, false, "SignatureDoesNotMatch"},
		{"no such bucket", noBucket, http.StatusNotFound, false, "NoSuchBucket"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := newS3(t, tt.cfg).Deliver(t.Context(), testEvent([]byte("{}"), "application/json"), testDelivery())
			if res.Status != tt.wantStatus || (res.Err != nil) != tt.wantErr {
				t.Fatalf("Deliver = %+v, want status %d, error %v", res, tt.wantStatus, tt.wantErr)
			}
			if !strings.Contains(string(res.Response), tt.wantText) {
				t.Errorf("Response = %q, want it to contain %q", res.Response, tt.wantText)
			}
		})
	}
}

func TestS3Timeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	cfg := s3Config(slow.URL)
	cfg.Timeout = 100 * time.Millisecond
	res := newS3(t, cfg).Deliver(t.Context(), testEvent([]byte("{}"), ""), testDelivery())
	if res.Err == nil || res.Status != 0 || !strings.HasPrefix(res.Err.Error(), "timeout:") {
		t.Errorf("Deliver = %+v, want a timeout error", res)
	}
}

func TestNewS3Errors(t *testing.T) {
	t.Parallel()
	base := s3Config("http://127.0.0.1:9000")
	tests := []struct {
		name string
		edit func(*S3Config)
		want string
	}{
		{"no bucket", func(c *S3Config) { c.Bucket = "" }, "bucket: required"},
		{"no credentials", func(c *S3Config) { c.SecretAccessKey = "" }, "secret_access_key: required"},
		{"unknown variable", func(c *S3Config) { c.Key = "{source}/{nope}" }, "unknown variable {nope}"},
		{"unclosed", func(c *S3Config) { c.Key = "{source" }, "'{' without '}'"},
		{"bad endpoint", func(c *S3Config) { c.Endpoint = "127.0.0.1:9000" }, "want an absolute http or https URL"},
		{"bad metadata header", func(c *S3Config) { c.MetadataHeaders = []string{"a b"} }, "not a valid header name"},
	}
	for _, tt := range tests {
		cfg := base
		tt.edit(&cfg)
		if _, err := NewS3(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: NewS3 = %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestKeySafe(t *testing.T) {
	t.Parallel()
	ev := testEvent(nil, "application/cloudevents+json")
	d := event.Delivery{ID: "d1"}
	tests := []struct {
		providerID string
		tmpl       string
		want       string
	}{
		{"../../etc/passwd", "{source}/{id}", "github/.._.._etc_passwd"},
		{"..", "{source}/{id}", "github/_"},
		{"a b/c?d#e", "x/{provider_delivery_id}", "x/a_b_c_d_e"},
		{"", "x/{provider_delivery_id}.{ext}", "x/_.json"},
		{"ok-1_2.3", "{delivery_id}/{id}", "d1/ok-1_2.3"},
		{strings.Repeat("x", 300), "{id}", strings.Repeat("x", 200)},
	}
	for _, tt := range tests {
		ev.DeliveryID = tt.providerID
		k, err := parseKey(tt.tmpl)
		if err != nil {
			t.Fatal(err)
		}
		got, err := k.render(ev, d)
		if err != nil || got != tt.want {
			t.Errorf("render(%q) with id %q = %q, %v, want %q", tt.tmpl, tt.providerID, got, err, tt.want)
		}
	}
}
