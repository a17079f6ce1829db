// Package action runs Helm release actions (install, upgrade, test, rollback, uninstall)
// for helm-controller on top of helm.sh/helm/v3's action library, with releases stored in
// Secrets exactly as the helm CLI keeps them ("sh.helm.release.v1.<name>.v<revision>",
// label owner=helm), so that `helm ls`, `helm history` and `helm rollback` work on them.
//
// Beyond the library it adds what a controller needs:
//   - one set of Kubernetes clients (discovery, REST mapping, OpenAPI schema, HTTP
//     transport) per cluster identity, shared by every release of that identity through a
//     Cache, so memory stays flat however many releases and CRDs the cluster holds
//     (or, on request, clients of its own for each action);
//   - readiness waits with the kstatus rules of shared/health (the same as the
//     kustomize-controller), or on request Helm 3's own checks with the same timeout and
//     shape of error;
//   - server-side apply of a release's objects on request, as Helm 4 does it (HIP-0023),
//     with the method recorded on each revision for the next upgrade or rollback to follow;
//   - the CRD policies Skip, Create and CreateReplace on install and upgrade;
//   - recovery of a release left pending by an interrupted controller;
//   - drift detection by server-side dry-run and its correction by server-side apply of the
//     drifted objects only, without a new revision.
//
// The package does not import the controller runtime's reconciler machinery; it uses a
// plain controller-runtime client for reads and server-side apply.
package action
