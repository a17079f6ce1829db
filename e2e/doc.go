// Package e2e checks what a user installs: deploy/ (built with kustomize, applied to a real
// API server, its RBAC asked, each controller run with its Deployment's flags) and the
// workspace's layout rules. The user stories against the whole fleet are in e2e/stories
// (`make e2e`); the fleet as processes in e2e/fleet; `make run`'s demo in e2e/cmd/run.
package e2e
