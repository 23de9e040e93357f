package app

import (
	"fmt"

	"github.com/hookgate/hookgate/internal/config"
	"github.com/hookgate/hookgate/internal/destination"
)

// The destinations of newDestination's types, built from their config.

func newHTTP(d config.Destination) (destination.Destination, error) {
	n, err := network(d)
	if err != nil {
		return nil, err
	}
	return destination.NewHTTP(destination.HTTPConfig{
		URL:     d.URL,
		Method:  d.Method,
		Headers: d.Headers,
		Timeout: d.Timeout.D(),
		Secret:  d.Secret,
		Network: n,
	})
}

func newExec(d config.Destination) (destination.Destination, error) {
	if d.Exec == nil {
		return nil, fmt.Errorf("type exec needs an exec block")
	}
	return destination.NewExec(destination.ExecConfig{
		Command:            d.Exec.Command,
		Dir:                d.Exec.Dir,
		Env:                d.Exec.Env,
		PassEnv:            d.Exec.PassEnv,
		Headers:            d.Exec.Headers,
		PermanentExitCodes: d.Exec.PermanentExitCodes,
		Timeout:            d.Timeout.D(),
		Concurrency:        d.Concurrency,
	})
}

func newFile(d config.Destination) (destination.Destination, error) {
	if d.File == nil {
		return nil, fmt.Errorf("type file needs a file block")
	}
	return destination.NewFile(destination.FileConfig{Path: d.File.Path, Sync: d.File.Sync != "never"})
}

func newS3(d config.Destination) (destination.Destination, error) {
	if d.S3 == nil {
		return nil, fmt.Errorf("type s3 needs an s3 block")
	}
	n, err := network(d)
	if err != nil {
		return nil, err
	}
	s := d.S3
	return destination.NewS3(destination.S3Config{
		Bucket:          s.Bucket,
		Key:             s.Key,
		Endpoint:        s.Endpoint,
		Region:          s.Region,
		PathStyle:       s.PathStyle,
		AccessKeyID:     s.AccessKeyID,
		SecretAccessKey: s.SecretAccessKey,
		SessionToken:    s.SessionToken,
		MetadataHeaders: s.MetadataHeaders,
		Timeout:         d.Timeout.D(),
		Network:         n,
	})
}

// network reads d's SSRF guard and TLS options.
func network(d config.Destination) (destination.Network, error) {
	var n destination.Network
	n.SSRFGuard = d.SSRFGuard != nil && *d.SSRFGuard
	for _, c := range d.AllowCIDRs {
		p, err := config.ParseCIDR(c)
		if err != nil {
			return n, fmt.Errorf("allow_cidrs: %w", err)
		}
		n.AllowCIDRs = append(n.AllowCIDRs, p)
	}
	if t := d.TLS; t != nil {
		n.TLS = destination.TLS{CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile, InsecureSkipVerify: t.InsecureSkipVerify}
	}
	return n, nil
}
