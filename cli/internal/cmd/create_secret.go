package cmd

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/cli/internal/sshkey"
)

// newCreateSecretCommand returns `ferry create secret git|helm|oci|tls|notation|githubapp`.
func newCreateSecretCommand(a *app, cf *createFlags) *cobra.Command {
	c := &cobra.Command{Use: "secret", Short: "Create or update Kubernetes secrets"}
	c.AddCommand(newCreateSecretGitCommand(a, cf), newCreateSecretHelmCommand(a, cf), newCreateSecretOCICommand(a, cf),
		newCreateSecretTLSCommand(a, cf), newCreateSecretNotationCommand(a, cf), newCreateSecretGitHubAppCommand(a, cf))
	return c
}

// secretObjects returns a Secret of type typ with data, for createRunE.
func secretObjects(meta metav1.ObjectMeta, typ corev1.SecretType, data map[string]string) []client.Object {
	return []client.Object{&corev1.Secret{ObjectMeta: meta, Type: typ, StringData: data}}
}

// readFiles adds the content of each flag's file to data under its key.
func readFiles(data map[string]string, files map[string]string) error {
	for key, path := range files {
		if path == "" {
			continue
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("failed to read %s: %w", path, err)
		}
		data[key] = string(content)
	}
	return nil
}

// gitSecretFlags are the flags of `create secret git`, which bootstrap git shares.
type gitSecretFlags struct {
	url, username, password, bearerToken, privateKeyFile, keyAlgorithm, ecdsaCurve, caFile string
	rsaBits                                                                                int
}

// gitSecretData returns the data of a Git credentials Secret for f: basic auth or a bearer
// token over HTTP(S); over SSH a key pair (read from --private-key-file or generated) and
// the host's known_hosts line.
func gitSecretData(f *gitSecretFlags) (map[string]string, error) {
	u, err := url.Parse(f.url)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("invalid Git URL %q", f.url)
	}
	data := map[string]string{}
	switch u.Scheme {
	case "ssh":
		var pair *sshkey.Pair
		if f.privateKeyFile != "" {
			key, err := os.ReadFile(f.privateKeyFile)
			if err != nil {
				return nil, fmt.Errorf("failed to read the private key file: %w", err)
			}
			pair, err = sshkey.Parse(key, f.password)
			if err != nil {
				return nil, err
			}
		} else if pair, err = sshkey.Generate(f.keyAlgorithm, f.rsaBits, f.ecdsaCurve); err != nil {
			return nil, err
		}
		hosts, err := sshkey.ScanHostKey(u.Host, "", 30*time.Second)
		if err != nil {
			return nil, err
		}
		data["identity"], data["identity.pub"], data["known_hosts"] = string(pair.PrivateKey), string(pair.PublicKey), string(hosts)
		if f.password != "" {
			data["password"] = f.password
		}
	case "http", "https":
		switch {
		case f.bearerToken != "":
			data["bearerToken"] = f.bearerToken
		case f.username != "" && f.password != "":
			data["username"], data["password"] = f.username, f.password
		}
		if err := readFiles(data, map[string]string{"ca.crt": f.caFile}); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("git URL scheme '%s' not supported, can be: ssh, http and https", u.Scheme)
	}
	return data, nil
}

func newCreateSecretGitCommand(a *app, cf *createFlags) *cobra.Command {
	var f gitSecretFlags
	c := &cobra.Command{
		Use:   "git [name]",
		Short: "Create or update a Kubernetes secret for Git authentication",
		Example: `  # Create a Git basic auth secret
  ferry create secret git podinfo-auth \
    --url=https://github.com/stefanprodan/podinfo \
    --username=username \
    --password=password \
    --export`,
		RunE: a.createRunE(cf, "secret", "secret", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if f.url == "" {
				return nil, errors.New("url is required")
			}
			data, err := gitSecretData(&f)
			if err != nil {
				return nil, err
			}
			if pub, ok := data["identity.pub"]; ok && !cf.export {
				a.actionf("deploy key: %s", pub)
			}
			return secretObjects(meta, "", data), nil
		}),
	}
	addGitSecretFlags(c, &f)
	c.Flags().StringVar(&f.url, "url", "", "git address, e.g. ssh://git@host/org/repository")
	return c
}

// addGitSecretFlags registers the credential flags of f.
func addGitSecretFlags(c *cobra.Command, f *gitSecretFlags) {
	fs := c.Flags()
	fs.StringVarP(&f.username, "username", "u", "", "basic authentication username")
	fs.StringVarP(&f.password, "password", "p", "", "basic authentication password")
	fs.StringVar(&f.bearerToken, "bearer-token", "", "bearer authentication token")
	fs.StringVar(&f.privateKeyFile, "private-key-file", "", "path to a passwordless private key file used for authenticating to the Git SSH server")
	fs.StringVar(&f.keyAlgorithm, "ssh-key-algorithm", "ecdsa", "SSH public key algorithm (rsa, ecdsa, ed25519)")
	fs.IntVar(&f.rsaBits, "ssh-rsa-bits", 2048, "SSH RSA public key bit size (multiplies of 8, min 1024, max 16384)")
	fs.StringVar(&f.ecdsaCurve, "ssh-ecdsa-curve", "p384", "SSH ECDSA public key curve (p256, p384, p521)")
	fs.StringVar(&f.caFile, "ca-crt-file", "", "path to TLS CA certificate file used for validating self-signed certificates")
}

// tlsFlags are the TLS file flags of the secret commands.
type tlsFlags struct{ certFile, keyFile, caFile string }

func (f *tlsFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.certFile, "tls-crt-file", "", "TLS authentication cert file path")
	c.Flags().StringVar(&f.keyFile, "tls-key-file", "", "TLS authentication key file path")
	c.Flags().StringVar(&f.caFile, "ca-crt-file", "", "TLS authentication CA file path")
}

func (f *tlsFlags) read(data map[string]string) error {
	return readFiles(data, map[string]string{"tls.crt": f.certFile, "tls.key": f.keyFile, "ca.crt": f.caFile})
}

func newCreateSecretHelmCommand(a *app, cf *createFlags) *cobra.Command {
	var username, password string
	var tls tlsFlags
	c := &cobra.Command{
		Use:   "helm [name]",
		Short: "Create or update a Kubernetes secret for Helm repository authentication",
		Example: `  # Create a Helm authentication secret
  ferry create secret helm repo-auth \
    --username=username \
    --password=password \
    --export`,
		RunE: a.createRunE(cf, "secret", "secret", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			data := map[string]string{}
			if username != "" && password != "" {
				data["username"], data["password"] = username, password
			}
			if err := tls.read(data); err != nil {
				return nil, err
			}
			return secretObjects(meta, "", data), nil
		}),
	}
	c.Flags().StringVarP(&username, "username", "u", "", "basic authentication username")
	c.Flags().StringVarP(&password, "password", "p", "", "basic authentication password")
	tls.add(c)
	return c
}

func newCreateSecretOCICommand(a *app, cf *createFlags) *cobra.Command {
	var server, username, password string
	c := &cobra.Command{
		Use:   "oci [name]",
		Short: "Create or update a Kubernetes image pull secret",
		Example: `  # Create an image pull secret for GHCR
  ferry create secret oci ghcr-auth \
    --url=ghcr.io \
    --username=username \
    --password=password \
    --export`,
		RunE: a.createRunE(cf, "secret", "secret", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if server == "" || username == "" || password == "" {
				return nil, errors.New("--url, --username and --password are required")
			}
			type auth struct {
				Username string `json:"username"`
				Password string `json:"password"`
				Auth     string `json:"auth"`
			}
			cfg, err := json.Marshal(map[string]map[string]auth{"auths": {server: {
				Username: username, Password: password,
				Auth: base64.StdEncoding.EncodeToString([]byte(username + ":" + password)),
			}}})
			if err != nil {
				return nil, fmt.Errorf("failed to encode the docker config: %w", err)
			}
			return secretObjects(meta, corev1.SecretTypeDockerConfigJson, map[string]string{corev1.DockerConfigJsonKey: string(cfg)}), nil
		}),
	}
	c.Flags().StringVar(&server, "url", "", "oci repository address e.g ghcr.io/stefanprodan/charts")
	c.Flags().StringVarP(&username, "username", "u", "", "basic authentication username")
	c.Flags().StringVarP(&password, "password", "p", "", "basic authentication password")
	return c
}

func newCreateSecretTLSCommand(a *app, cf *createFlags) *cobra.Command {
	var tls tlsFlags
	c := &cobra.Command{
		Use:   "tls [name]",
		Short: "Create or update a Kubernetes secret with TLS certificates",
		Example: `  # Create a TLS secret on disk and encrypt it with sops
  ferry create secret tls certs \
    --tls-crt-file=./client.crt \
    --tls-key-file=./client.key \
    --ca-crt-file=./ca.crt \
    --export > certs.yaml`,
		RunE: a.createRunE(cf, "secret", "secret", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			data := map[string]string{}
			if err := tls.read(data); err != nil {
				return nil, err
			}
			typ := corev1.SecretTypeOpaque
			if tls.certFile != "" && tls.keyFile != "" {
				typ = corev1.SecretTypeTLS
			}
			return secretObjects(meta, typ, data), nil
		}),
	}
	tls.add(c)
	return c
}

func newCreateSecretNotationCommand(a *app, cf *createFlags) *cobra.Command {
	var caFiles []string
	var policyFile string
	c := &cobra.Command{
		Use:   "notation [name]",
		Short: "Create or update a Kubernetes secret for verifications of artifacts signed by Notation",
		Example: `  # Create a Notation configuration secret on disk and encrypt it with sops
  ferry create secret notation my-notation-cert \
    --ca-cert-file=./ca.crt \
    --trust-policy-file=./trust-policy.json \
    --export > certs.yaml`,
		RunE: a.createRunE(cf, "secret", "secret", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if len(caFiles) == 0 || policyFile == "" {
				return nil, errors.New("--ca-cert-file and --trust-policy-file are required")
			}
			files := map[string]string{"trustpolicy.json": policyFile}
			for _, f := range caFiles {
				files[filepath.Base(f)] = f
			}
			data := map[string]string{}
			if err := readFiles(data, files); err != nil {
				return nil, err
			}
			if !json.Valid([]byte(data["trustpolicy.json"])) {
				return nil, fmt.Errorf("the trust policy %s is not valid JSON", policyFile)
			}
			return secretObjects(meta, "", data), nil
		}),
	}
	c.Flags().StringSliceVar(&caFiles, "ca-cert-file", nil, "path to the root certificate file")
	c.Flags().StringVar(&policyFile, "trust-policy-file", "", "notation trust policy file path")
	return c
}

func newCreateSecretGitHubAppCommand(a *app, cf *createFlags) *cobra.Command {
	var appID, installationID, keyFile, baseURL string
	c := &cobra.Command{
		Use:   "githubapp [name]",
		Short: "Create or update a GitHub App secret",
		Example: `  # Create a GitHub App secret
  ferry create secret githubapp my-app \
    --app-id=1 \
    --app-installation-id=2 \
    --app-private-key=./private-key-file.pem \
    --export`,
		RunE: a.createRunE(cf, "secret", "secret", func(meta metav1.ObjectMeta) ([]client.Object, error) {
			if appID == "" || installationID == "" || keyFile == "" {
				return nil, errors.New("--app-id, --app-installation-id and --app-private-key are required")
			}
			data := map[string]string{"githubAppID": appID, "githubAppInstallationID": installationID}
			if baseURL != "" {
				data["githubAppBaseURL"] = baseURL
			}
			if err := readFiles(data, map[string]string{"githubAppPrivateKey": keyFile}); err != nil {
				return nil, err
			}
			return secretObjects(meta, "", data), nil
		}),
	}
	c.Flags().StringVar(&appID, "app-id", "", "github app ID")
	c.Flags().StringVar(&installationID, "app-installation-id", "", "github app installation ID")
	c.Flags().StringVar(&keyFile, "app-private-key", "", "github app private key file path")
	c.Flags().StringVar(&baseURL, "app-base-url", "", "github app base URL")
	return c
}
