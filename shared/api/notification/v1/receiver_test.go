package v1

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestGetWebhookPath(t *testing.T) {
	obj := &Receiver{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "flux-system"}}
	want := fmt.Sprintf("/hook/%x", sha256.Sum256([]byte("s3cr3t"+"app"+"flux-system")))
	got := obj.GetWebhookPath("s3cr3t")
	if got != want {
		t.Errorf("GetWebhookPath() = %q, want %q", got, want)
	}
	if strings.Contains(got, "s3cr3t") {
		t.Errorf("GetWebhookPath() leaks the token: %q", got)
	}
}

func TestGetInterval(t *testing.T) {
	tests := []struct {
		name     string
		interval *metav1.Duration
		want     time.Duration
	}{
		{name: "default", want: 10 * time.Minute},
		{name: "explicit", interval: &metav1.Duration{Duration: time.Minute}, want: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := &Receiver{Spec: ReceiverSpec{Interval: tt.interval}}
			if got := obj.GetInterval(); got != tt.want {
				t.Errorf("GetInterval() = %v, want %v", got, tt.want)
			}
		})
	}
}
