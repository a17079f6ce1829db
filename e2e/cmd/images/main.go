// Command images is `make images`: it builds an OCI image of each controller from its static
// binary (make build) without a Docker daemon or a base image — a scratch image with the
// binary, CA certificates and a non-root user — writes them all into one OCI image layout
// and, with -push, pushes them to a registry.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// controllers are the fleet's binaries that get an image.
var controllers = []string{
	"source-controller", "kustomize-controller", "helm-controller",
	"image-reflector-controller", "image-automation-controller", "notification-controller",
}

// Options are the command's flags.
type Options struct {
	// Bin is the directory holding the controller binaries.
	Bin string
	// Out is the OCI image layout directory the images are written to.
	Out string
	// Repository prefixes the image names in the layout: <Repository>/<controller>:<Tag>.
	Repository string
	// Tag is the images' tag and their version label.
	Tag string
	// Push, when set, is a registry (with an optional path) the images are pushed to as
	// <Push>/<controller>:<Tag>.
	Push string
	// Insecure pushes over plain HTTP to any registry (always done for localhost and
	// loopback addresses).
	Insecure bool
	// CACerts is the CA bundle copied into the images.
	CACerts string
	// Source is the org.opencontainers.image.source label.
	Source string
	// Controllers are the names of the binaries to package.
	Controllers []string
}

func main() {
	var o Options
	var names string
	flag.StringVar(&o.Bin, "bin", "../bin", "directory holding the controller binaries (make build)")
	flag.StringVar(&o.Out, "out", "../bin/images", "OCI image layout directory to write the images to")
	flag.StringVar(&o.Repository, "repository", "ghcr.io/ferry-gitops", "repository prefix of the image names in the layout")
	flag.StringVar(&o.Tag, "tag", "dev", "image tag and version label")
	flag.StringVar(&o.Push, "push", "", "registry to push the images to, e.g. 127.0.0.1:5000/ferry (empty: no push)")
	flag.BoolVar(&o.Insecure, "insecure", false, "push over plain HTTP (always done for localhost and 127.0.0.1)")
	flag.StringVar(&o.CACerts, "ca-certs", "/etc/ssl/certs/ca-certificates.crt", "CA bundle to copy into the images")
	flag.StringVar(&o.Source, "source", "https://github.com/ferry-gitops/ferry", "org.opencontainers.image.source label")
	flag.StringVar(&names, "controllers", strings.Join(controllers, ","), "comma-separated binaries to package")
	flag.Parse()
	o.Controllers = strings.Split(names, ",")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := Run(ctx, os.Stdout, o, gitRevision()); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

// Run builds the image of every controller of o, writes it to the layout and pushes it when
// o.Push is set, printing to w one line per image (and how to deploy pushed images).
// revision is the revision label (may be empty).
func Run(ctx context.Context, w io.Writer, o Options, revision string) error {
	p, err := openLayout(o.Out)
	if err != nil {
		return err
	}
	var retarget []string
	for _, c := range o.Controllers {
		pushed, err := one(ctx, w, o, p, c, revision)
		if err != nil {
			return err
		}
		if pushed != "" {
			retarget = append(retarget, fmt.Sprintf("%s/%s=%s", o.Repository, c, pushed))
		}
	}
	if err := pruneBlobs(p); err != nil {
		return err
	}
	if len(retarget) > 0 {
		fmt.Fprintf(w, "\nto deploy these images: cd deploy && kustomize edit set image %s\n", strings.Join(retarget, " "))
	}
	return nil
}

// one builds the image of controller c, writes it to the layout p and pushes it when o.Push is
// set; it returns the pushed repository with the image's digest (repo@sha256:…), or ""
// without a push.
func one(ctx context.Context, w io.Writer, o Options, p layout.Path, c, revision string) (string, error) {
	spec := Spec{Name: c, Binary: filepath.Join(o.Bin, c), CACerts: o.CACerts,
		Source: o.Source, Revision: revision, Version: o.Tag}
	img, err := Build(spec)
	if err != nil {
		return "", fmt.Errorf("failed to build the image of %s: %w", c, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("failed to compute the digest of %s: %w", c, err)
	}
	ref := fmt.Sprintf("%s/%s:%s", o.Repository, c, o.Tag)
	if err := writeToLayout(p, img, ref); err != nil {
		return "", err
	}
	fmt.Fprintf(w, "%s@%s -> %s\n", ref, digest, o.Out)
	if o.Push == "" {
		return "", nil
	}
	repo := strings.TrimSuffix(o.Push, "/") + "/" + c
	if err := push(ctx, img, repo+":"+o.Tag, o.Insecure); err != nil {
		return "", err
	}
	fmt.Fprintf(w, "pushed %s:%s@%s\n", repo, o.Tag, digest)
	return repo + "@" + digest.String(), nil
}

// gitRevision is the commit checked out in the working directory, or "" outside a Git
// repository or without git.
func gitRevision() string {
	out, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
