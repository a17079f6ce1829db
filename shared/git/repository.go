package git

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	sourcev1 "github.com/ferry-gitops/ferry/shared/api/source/v1"
	"github.com/ferry-gitops/ferry/shared/secrets"
)

// ForRepository builds the Auth of a GitRepository from the Secrets it names, read with c in
// its namespace: spec.secretRef (credentials, TLS material, SSH identity and known_hosts) and
// spec.proxySecretRef. It checks that the Auth can reach spec.url, without contacting it; an
// SSH URL without a Secret is told to name one. Errors never quote a Secret's value.
func ForRepository(ctx context.Context, c client.Reader, repo *sourcev1.GitRepository) (*Auth, error) {
	auth := &Auth{}
	if ref := repo.Spec.SecretRef; ref != nil && ref.Name != "" {
		secret, err := secrets.Get(ctx, c, repo.Namespace, ref.Name)
		if err != nil {
			return nil, err
		}
		if auth, err = AuthFromSecret(secret.Data); err != nil {
			return nil, err
		}
	}
	if ref := repo.Spec.ProxySecretRef; ref != nil && ref.Name != "" {
		secret, err := secrets.Get(ctx, c, repo.Namespace, ref.Name)
		if err != nil {
			return nil, err
		}
		if err := auth.SetProxyFromSecret(secret.Data); err != nil {
			return nil, err
		}
	}
	if err := auth.Check(repo.Spec.URL); err != nil {
		if repo.Spec.SecretRef == nil && IsSSH(repo.Spec.URL) {
			err = fmt.Errorf("%w: set spec.secretRef to a Secret with 'identity' and 'known_hosts'", err)
		}
		return nil, err
	}
	return auth, nil
}
