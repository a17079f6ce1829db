package testenv

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/ferry-gitops/ferry/shared/testing/freeport"
)

// The fake node that KWOK manages in full mode.
const (
	// FakeNodeName is the name of the node that KWOK plays the kubelet of.
	FakeNodeName = "kwok-node-0"
	// FakeNodeAnnotation is the annotation, with value "fake", that makes
	// KWOK manage a node.
	FakeNodeAnnotation = "kwok.x-k8s.io/node"
)

// serviceAccountIssuer is the issuer of the tokens the API server signs.
const serviceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// serviceAccountKey is the path of the RSA key that signs and verifies
// service-account tokens, shared by the API server and the controller-manager.
type serviceAccountKey string

// configureWorkloadAPIServer generates the service-account signing key and
// sets the API server flags that kube-controller-manager relies on.
func (e *Env) configureWorkloadAPIServer() (serviceAccountKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", fmt.Errorf("failed to generate the service-account key: %w", err)
	}
	path := filepath.Join(e.Dir, "sa.key")
	block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return "", fmt.Errorf("failed to write the service-account key: %w", err)
	}
	e.env.ControlPlane.GetAPIServer().Configure().
		Set("service-account-issuer", serviceAccountIssuer).
		Set("service-account-key-file", path).
		Set("service-account-signing-key-file", path).
		// The API server listens on loopback, which may not be an endpoint of
		// the kubernetes Service.
		Set("endpoint-reconciler-type", "none")
	return serviceAccountKey(path), nil
}

// startWorkloads starts kube-controller-manager, kube-scheduler and KWOK
// against the running API server, registers the fake node and waits until
// all three are healthy and the node is schedulable.
func (e *Env) startWorkloads(assets string, sa serviceAccountKey) error {
	caFile := filepath.Join(e.Dir, "ca.crt")
	if err := os.WriteFile(caFile, e.Config.CAData, 0o600); err != nil {
		return fmt.Errorf("failed to write the cluster CA: %w", err)
	}
	kcmPort, err := freePort()
	if err != nil {
		return err
	}
	schedPort, err := freePort()
	if err != nil {
		return err
	}
	kcm, err := e.startProcess(assets, binControllerManager, e.componentArgs(kcmPort,
		"--controllers=*",
		"--service-account-private-key-file="+string(sa),
		"--root-ca-file="+caFile,
		"--use-service-account-credentials=false",
		"--cert-dir="+filepath.Join(e.Dir, "kcm-certs"),
		// Notice node readiness quickly, so that the fake node loses its
		// not-ready taint within a second or two.
		"--node-monitor-period=1s",
	)...)
	if err != nil {
		return err
	}
	sched, err := e.startProcess(assets, binScheduler, e.componentArgs(schedPort)...)
	if err != nil {
		return err
	}
	// An empty config keeps a user's ~/.kwok/kwok.yaml out and selects
	// KWOK's default stages (nodes Ready, pods Running).
	kwokConfig := filepath.Join(e.Dir, "kwok.yaml")
	if err := os.WriteFile(kwokConfig, nil, 0o600); err != nil {
		return fmt.Errorf("failed to write the kwok config: %w", err)
	}
	kwok, err := e.startProcess(assets, binKWOK,
		"--kubeconfig="+e.Kubeconfig,
		"--config="+kwokConfig,
		"--manage-all-nodes=false",
		"--manage-nodes-with-annotation-selector="+FakeNodeAnnotation+"=fake",
		// Heartbeat through a Lease, as kubelets do, so that the node
		// lifecycle controller never marks the node unreachable.
		"--node-lease-duration-seconds=40",
	)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := e.Client.Create(ctx, fakeNode()); err != nil {
		return fmt.Errorf("failed to create the fake node: %w", err)
	}
	procs := []*process{kcm, sched, kwok}
	if err := waitHealthy(ctx, kcm, kcmPort, procs); err != nil {
		return err
	}
	if err := waitHealthy(ctx, sched, schedPort, procs); err != nil {
		return err
	}
	return e.waitNodeSchedulable(ctx, procs)
}

// componentArgs returns the flags kube-controller-manager and
// kube-scheduler share, followed by extra.
func (e *Env) componentArgs(port int, extra ...string) []string {
	args := []string{
		"--kubeconfig=" + e.Kubeconfig,
		"--authentication-kubeconfig=" + e.Kubeconfig,
		"--authorization-kubeconfig=" + e.Kubeconfig,
		"--leader-elect=false",
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
	}
	return append(args, extra...)
}

// fakeNode returns the node KWOK manages. It has no NoSchedule taint, so
// ordinary workloads land on it.
func fakeNode() *corev1.Node {
	capacity := corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse("32"),
		corev1.ResourceMemory: resource.MustParse("256Gi"),
		// Far above a real node's 110: the chaos and bench workloads run hundreds of
		// Deployments on this one node, and a pod over capacity stays Pending for ever.
		corev1.ResourcePods: resource.MustParse("10000"),
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name:        FakeNodeName,
			Annotations: map[string]string{FakeNodeAnnotation: "fake", "node.alpha.kubernetes.io/ttl": "0"},
			Labels: map[string]string{
				"type":                   "kwok",
				"kubernetes.io/hostname": FakeNodeName,
				"kubernetes.io/os":       "linux",
				"kubernetes.io/arch":     "amd64",
			},
		},
		Status: corev1.NodeStatus{Capacity: capacity, Allocatable: capacity},
	}
}

// waitHealthy polls the /healthz endpoint of p on port until it answers ok,
// failing early if any of procs exits.
func waitHealthy(ctx context.Context, p *process, port int, procs []*process) error {
	// The components serve a self-signed certificate on loopback; /healthz
	// carries no data worth authenticating.
	hc := &http.Client{
		Timeout:   time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec
	}
	url := fmt.Sprintf("https://127.0.0.1:%d/healthz", port)
	return poll(ctx, procs, p.name+" to become healthy", func() bool {
		resp, err := hc.Get(url)
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
}

// waitNodeSchedulable waits until the fake node is Ready and untainted:
// KWOK has taken it over and the node lifecycle controller has noticed.
func (e *Env) waitNodeSchedulable(ctx context.Context, procs []*process) error {
	return poll(ctx, procs, "the fake node to become schedulable", func() bool {
		var node corev1.Node
		if err := e.Client.Get(ctx, client.ObjectKey{Name: FakeNodeName}, &node); err != nil {
			return false
		}
		return nodeReady(&node) && len(node.Spec.Taints) == 0
	})
}

// nodeReady reports whether the node's Ready condition is True.
func nodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// poll calls done every Interval until it returns true, ctx expires or one
// of procs exits.
func poll(ctx context.Context, procs []*process, what string, done func() bool) error {
	for {
		for _, p := range procs {
			if err := p.exitErr(); err != nil {
				return fmt.Errorf("failed to wait for %s: %w", what, err)
			}
		}
		if done() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("failed to wait for %s: %w", what, ctx.Err())
		case <-time.After(Interval):
		}
	}
}

// freePort returns a TCP port on 127.0.0.1 that is free and outside the ephemeral range.
func freePort() (int, error) { return freeport.Port() }
