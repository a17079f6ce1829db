package helmrepo

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Metadata is the part of a chart's Chart.yaml the repository reads.
type Metadata struct {
	APIVersion  string `json:"apiVersion"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	AppVersion  string `json:"appVersion,omitempty"`
	Description string `json:"description,omitempty"`
}

// ChartFiles returns the files of a minimal valid chart (Chart.yaml, values.yaml and one
// ConfigMap template) with the given name and version, for AddChart and Git/Bucket sources.
func ChartFiles(name, version string) map[string]string {
	return map[string]string{
		"Chart.yaml":  fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\nappVersion: \"1.0\"\ndescription: A test chart.\n", name, version),
		"values.yaml": "replicas: 1\nimage:\n  repository: example/app\n  tag: \"1.0\"\n",
		"templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n" +
			"data:\n  replicas: {{ .Values.replicas | quote }}\n",
	}
}

// AddChart packages a chart made of files (slash-separated path → content, Chart.yaml
// included) into the repository and returns the package's file name. Call WriteGeneratedIndex
// afterwards to publish it.
func (s *Server) AddChart(files map[string]string) (string, error) {
	src, err := writeTemp(files)
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(src)
	return s.PackageDir(src)
}

// PackageFiles packages a chart made of files like AddChart and returns the package's bytes,
// as pushed to an OCI registry.
func PackageFiles(files map[string]string) ([]byte, error) {
	src, err := writeTemp(files)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(src)
	dest := src + ".tgz"
	defer os.Remove(dest)
	if err := Package(src, dest); err != nil {
		return nil, err
	}
	return os.ReadFile(dest)
}

// writeTemp writes files into a new temporary directory.
func writeTemp(files map[string]string) (string, error) {
	src, err := os.MkdirTemp("", "ferry-chart-src-")
	if err != nil {
		return "", fmt.Errorf("failed to create a chart directory: %w", err)
	}
	for p, content := range files {
		full := filepath.Join(src, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return "", err
		}
	}
	return src, nil
}

// PackageDir packages the chart in dir (which holds Chart.yaml) into the repository as
// <name>-<version>.tgz, the layout `helm package` writes, and returns the file name.
func (s *Server) PackageDir(dir string) (string, error) {
	md, err := readMetadata(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return "", err
	}
	name := md.Name + "-" + md.Version + ".tgz"
	if err := Package(dir, filepath.Join(s.dir, name)); err != nil {
		return "", err
	}
	return name, nil
}

// Package writes the chart in dir as a gzipped tarball at dest, every file below a top
// directory named after the chart.
func Package(dir, dest string) error {
	md, err := readMetadata(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return err
	}
	out, err := os.Create(dest)
	if err != nil {
		return fmt.Errorf("failed to create %s: %w", dest, err)
	}
	defer out.Close()
	gz := gzip.NewWriter(out)
	tw := tar.NewWriter(gz)
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		hdr := &tar.Header{Name: path.Join(md.Name, filepath.ToSlash(rel)), Mode: 0o644, Size: int64(len(data)), ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = gz.Close()
	}
	if err != nil {
		return fmt.Errorf("failed to package chart %s: %w", dir, err)
	}
	return out.Close()
}

// indexFile is the layout of index.yaml.
type indexFile struct {
	APIVersion string                    `json:"apiVersion"`
	Entries    map[string][]indexVersion `json:"entries"`
	Generated  string                    `json:"generated"`
}

type indexVersion struct {
	Metadata `json:",inline"`
	Created  string   `json:"created"`
	Digest   string   `json:"digest"`
	URLs     []string `json:"urls"`
}

// WriteGeneratedIndex regenerates index.yaml from every .tgz at the top of the repository, as
// `helm repo index` does, with URLs relative to the repository (or absolute under baseURL when
// it is not empty). The output is deterministic for the same packages.
func (s *Server) WriteGeneratedIndex(baseURL string) error {
	names, err := filepath.Glob(filepath.Join(s.dir, "*.tgz"))
	if err != nil {
		return err
	}
	sort.Strings(names)
	idx := indexFile{APIVersion: "v1", Entries: map[string][]indexVersion{}, Generated: "2024-01-01T00:00:00Z"}
	for _, p := range names {
		md, digest, err := inspect(p)
		if err != nil {
			return err
		}
		u := filepath.Base(p)
		if baseURL != "" {
			u = strings.TrimSuffix(baseURL, "/") + "/" + u
		}
		idx.Entries[md.Name] = append(idx.Entries[md.Name], indexVersion{Metadata: md, Created: idx.Generated, Digest: digest, URLs: []string{u}})
	}
	data, err := yaml.Marshal(idx)
	if err != nil {
		return fmt.Errorf("failed to marshal index.yaml: %w", err)
	}
	return s.WriteIndex(data)
}

// inspect reads the Chart.yaml of a packaged chart and its SHA-256 digest.
func inspect(p string) (Metadata, string, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return Metadata{}, "", err
	}
	sum := sha256.Sum256(data)
	f, err := os.Open(p)
	if err != nil {
		return Metadata{}, "", err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return Metadata{}, "", fmt.Errorf("failed to read %s: %w", p, err)
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return Metadata{}, "", fmt.Errorf("%s holds no Chart.yaml", p)
		}
		if err != nil {
			return Metadata{}, "", fmt.Errorf("failed to read %s: %w", p, err)
		}
		if parts := strings.Split(hdr.Name, "/"); len(parts) == 2 && parts[1] == "Chart.yaml" {
			raw, err := io.ReadAll(tr)
			if err != nil {
				return Metadata{}, "", err
			}
			var md Metadata
			if err := yaml.Unmarshal(raw, &md); err != nil {
				return Metadata{}, "", fmt.Errorf("failed to parse Chart.yaml of %s: %w", p, err)
			}
			return md, hex.EncodeToString(sum[:]), nil
		}
	}
}

func readMetadata(p string) (Metadata, error) {
	raw, err := os.ReadFile(p)
	if err != nil {
		return Metadata{}, fmt.Errorf("failed to read %s: %w", p, err)
	}
	var md Metadata
	if err := yaml.Unmarshal(raw, &md); err != nil {
		return Metadata{}, fmt.Errorf("failed to parse %s: %w", p, err)
	}
	if md.Name == "" || md.Version == "" {
		return Metadata{}, fmt.Errorf("%s has no name or version", p)
	}
	return md, nil
}
