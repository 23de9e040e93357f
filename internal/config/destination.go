package config

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
)

// ExecDestination runs a command for each event (type exec): the body on
// its standard input, the event's fields in HOOKGATE_* variables (see
// docs/destinations.md). Exit 0 is success; other codes are retried, except
// PermanentExitCodes.
type ExecDestination struct {
	// Command is the program and its arguments, run directly, never through
	// a shell. A program name without a slash is looked up in PATH when
	// hookgate starts. Required.
	Command []string `yaml:"command"`
	// Dir is the working folder; it must exist. Default: hookgate's own.
	Dir string `yaml:"dir"`
	// Env sets variables for the command. Names must not start with
	// HOOKGATE_. Values may use ${NAME} like any other.
	Env map[string]string `yaml:"env"`
	// PassEnv names variables of hookgate's own environment the command
	// inherits, beyond PATH, HOME, USER, LOGNAME, LANG, LC_ALL, LC_CTYPE, TZ
	// and TMPDIR. Nothing else is inherited: hookgate's secrets stay out.
	PassEnv []string `yaml:"pass_env"`
	// Headers names request headers passed as HOOKGATE_HEADER_<NAME>
	// ("X-GitHub-Event" is HOOKGATE_HEADER_X_GITHUB_EVENT). None by default:
	// headers carry signatures and credentials.
	Headers []string `yaml:"headers"`
	// PermanentExitCodes are exit codes (1 to 199) that make the delivery
	// dead at once instead of retried, such as [64, 65] for bad input.
	PermanentExitCodes []int `yaml:"permanent_exit_codes"`
}

// FileDestination appends one JSON line per event to a file (type file).
type FileDestination struct {
	// Path is the file; it is created (mode 0600) if missing, and its
	// folder must exist. Required.
	Path string `yaml:"path"`
	// Sync is "always" (fsync after every line, before the delivery counts
	// as done) or "never" (leave it to the OS: faster, but a machine crash
	// can lose lines recorded as delivered). Default always.
	Sync string `yaml:"sync"`
}

// S3Destination stores each event's body as an object (type s3), in AWS S3
// or any S3-compatible store.
type S3Destination struct {
	// Bucket receives the objects. Required.
	Bucket string `yaml:"bucket"`
	// Key is the object key template. Variables: {source}, {type}, {id}
	// (the provider's delivery id, or the event id when it has none),
	// {event_id}, {provider_delivery_id}, {delivery_id} (hookgate's, one per
	// event and destination), {date} (2006-01-02), {year}, {month}, {day},
	// {hour} (UTC, when received), {ext} (json, xml, form, txt or bin, from
	// the Content-Type). Default "{source}/{date}/{id}.json".
	Key string `yaml:"key"`
	// Endpoint is the S3 API's URL, for S3-compatible stores such as
	// "http://127.0.0.1:9000" (MinIO). Default: AWS's endpoint for Region.
	Endpoint string `yaml:"endpoint"`
	// Region is the bucket's region. Default us-east-1.
	Region string `yaml:"region"`
	// PathStyle puts the bucket in the URL's path rather than its host, as
	// most S3-compatible stores need.
	PathStyle bool `yaml:"path_style"`
	// AccessKeyID and SecretAccessKey sign the requests, usually written
	// as ${AWS_ACCESS_KEY_ID} and ${AWS_SECRET_ACCESS_KEY}. Required.
	AccessKeyID     string `yaml:"access_key_id"`
	SecretAccessKey string `yaml:"secret_access_key"`
	// SessionToken goes with temporary credentials. Optional.
	SessionToken string `yaml:"session_token"`
	// MetadataHeaders names request headers stored as object metadata
	// (x-amz-meta-<name>), at most 2 KiB in all. Optional.
	MetadataHeaders []string `yaml:"metadata_headers"`
}

// DestinationTLS configures https connections of http and s3 destinations.
type DestinationTLS struct {
	// CAFile is a PEM bundle of certificate authorities trusted in place of
	// the system's. Optional.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a PEM client certificate and key, for
	// servers that require one. Both or neither.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// InsecureSkipVerify accepts any server certificate. Tests only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// S3KeyVars lists the variables an s3 key template may use, as
// destination.KeyVars does (a test in internal/app keeps the two equal).
func S3KeyVars() []string {
	return []string{"source", "type", "id", "event_id", "provider_delivery_id", "delivery_id", "date", "year", "month", "day", "hour", "ext"}
}

// setDestinationDefaults fills the defaults of d's type-specific fields.
// guard is delivery.ssrf_guard.
func setDestinationDefaults(d *Destination, guard bool) {
	if d.Type == "" {
		switch {
		case d.Exec != nil:
			d.Type = "exec"
		case d.File != nil:
			d.Type = "file"
		case d.S3 != nil:
			d.Type = "s3"
		}
	}
	if d.File != nil && d.File.Sync == "" {
		d.File.Sync = "always"
	}
	if d.S3 != nil {
		if d.S3.Key == "" {
			d.S3.Key = "{source}/{date}/{id}.json"
		}
		if d.S3.Region == "" {
			d.S3.Region = "us-east-1"
		}
	}
	if d.SSRFGuard == nil && guard && d.Type == "http" {
		on := true
		d.SSRFGuard = &on
	}
}

// validateDestinationKind checks the fields that depend on d's type: the
// exec, file and s3 blocks, and the http-only secret, SSRF guard and TLS.
// f is the destination's field path.
func validateDestinationKind(p *problems, f string, d *Destination) {
	for _, b := range []struct {
		kind string
		set  bool
	}{{"exec", d.Exec != nil}, {"file", d.File != nil}, {"s3", d.S3 != nil}} {
		switch {
		case b.kind == d.Type && !b.set:
			p.add(f+"."+b.kind, "required for type %q", d.Type)
		case b.kind != d.Type && b.set:
			p.add(f+"."+b.kind, "only used by type %q, not %q", b.kind, d.Type)
		}
	}
	if d.Type != "http" {
		if d.Secret != "" {
			p.add(f+".secret", "only used by type \"http\" (it signs forwarded requests)")
		}
		if d.Type != "s3" && (d.SSRFGuard != nil || len(d.AllowCIDRs) > 0 || d.TLS != nil) {
			p.add(f, "ssrf_guard, allow_cidrs and tls are only used by types \"http\" and \"s3\"")
		}
	}
	if slices.Contains([]string{"exec", "file", "s3"}, d.Type) {
		if d.URL != "" {
			p.add(f+".url", "not used by type %q", d.Type)
		}
		if d.Method != "" {
			p.add(f+".method", "not used by type %q", d.Type)
		}
		if len(d.Headers) > 0 {
			p.add(f+".headers", "not used by type %q", d.Type)
		}
	}
	for i, c := range d.AllowCIDRs {
		if _, err := ParseCIDR(c); err != nil {
			p.add(fmt.Sprintf("%s.allow_cidrs[%d]", f, i), "%v", err)
		}
	}
	if len(d.AllowCIDRs) > 0 && (d.SSRFGuard == nil || !*d.SSRFGuard) {
		p.add(f+".allow_cidrs", "only used with ssrf_guard: true")
	}
	validateDestinationTLS(p, f+".tls", d.TLS)
	validateExec(p, f+".exec", d.Exec)
	validateFile(p, f+".file", d.File)
	validateS3(p, f+".s3", d.S3)
}

func validateDestinationTLS(p *problems, f string, t *DestinationTLS) {
	if t == nil {
		return
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		p.add(f+".cert_file", "cert_file and key_file go together")
	}
	if t.InsecureSkipVerify && t.CAFile != "" {
		p.add(f+".insecure_skip_verify", "makes ca_file pointless: nothing is verified")
	}
}

func validateExec(p *problems, f string, e *ExecDestination) {
	if e == nil {
		return
	}
	if len(e.Command) == 0 || e.Command[0] == "" {
		p.add(f+".command", "required: the program and its arguments, such as [/usr/local/bin/deploy, --quiet]")
	}
	for i, a := range e.Command {
		if strings.IndexByte(a, 0) >= 0 {
			p.add(fmt.Sprintf("%s.command[%d]", f, i), "must not contain NUL")
		}
	}
	if e.Dir != "" {
		if info, err := os.Stat(e.Dir); err != nil {
			p.add(f+".dir", "cannot use the folder: %v", err)
		} else if !info.IsDir() {
			p.add(f+".dir", "%s is not a folder", e.Dir)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(e.Env)) {
		fk := mapField(f+".env", k)
		switch {
		case !envNameRE.MatchString(k):
			p.add(fk, "invalid variable name %q", k)
		case strings.HasPrefix(strings.ToUpper(k), "HOOKGATE_"):
			p.add(fk, "HOOKGATE_ variables are set by hookgate")
		case strings.IndexByte(e.Env[k], 0) >= 0:
			p.add(fk, "value must not contain NUL")
		}
	}
	for i, k := range e.PassEnv {
		if !envNameRE.MatchString(k) {
			p.add(fmt.Sprintf("%s.pass_env[%d]", f, i), "invalid variable name %q", k)
		}
	}
	for i, h := range e.Headers {
		if !tokenRE.MatchString(h) {
			p.add(fmt.Sprintf("%s.headers[%d]", f, i), "invalid header name %q", h)
		}
	}
	for i, c := range e.PermanentExitCodes {
		if c > 199 {
			p.add(fmt.Sprintf("%s.permanent_exit_codes[%d]", f, i),
				"%d: must be 1 to 199 (the attempt's status holds the exit code, and 200 to 299 read as success)", c)
		}
	}
}

func validateFile(p *problems, f string, fd *FileDestination) {
	if fd == nil {
		return
	}
	if fd.Path == "" {
		p.add(f+".path", "required")
	}
	oneOf(p, f+".sync", fd.Sync, "always", "never")
}

func validateS3(p *problems, f string, s *S3Destination) {
	if s == nil {
		return
	}
	if s.Bucket == "" {
		p.add(f+".bucket", "required")
	} else if strings.ContainsAny(s.Bucket, "/ ") {
		p.add(f+".bucket", "invalid bucket name %q", s.Bucket)
	}
	if s.Endpoint != "" {
		validateURL(p, f+".endpoint", s.Endpoint)
	}
	if s.AccessKeyID == "" {
		p.add(f+".access_key_id", "required (such as ${AWS_ACCESS_KEY_ID})")
	}
	if s.SecretAccessKey == "" {
		p.add(f+".secret_access_key", "required (such as ${AWS_SECRET_ACCESS_KEY})")
	}
	validateKeyTemplate(p, f+".key", s.Key)
	for i, h := range s.MetadataHeaders {
		if !tokenRE.MatchString(h) {
			p.add(fmt.Sprintf("%s.metadata_headers[%d]", f, i), "invalid header name %q", h)
		}
	}
}

// validateKeyTemplate checks an s3 key template's braces and variables.
func validateKeyTemplate(p *problems, f, tmpl string) {
	for rest := tmpl; rest != ""; {
		i := strings.IndexAny(rest, "{}")
		if i < 0 {
			return
		}
		if rest[i] == '}' {
			p.add(f, "'}' without '{' in %q", tmpl)
			return
		}
		end := strings.IndexByte(rest[i:], '}')
		if end < 0 {
			p.add(f, "'{' without '}' in %q", tmpl)
			return
		}
		if name := rest[i+1 : i+end]; !slices.Contains(S3KeyVars(), name) {
			p.add(f, "unknown variable {%s} (known: {%s})", name, strings.Join(S3KeyVars(), "}, {"))
		}
		rest = rest[i+end+1:]
	}
}
