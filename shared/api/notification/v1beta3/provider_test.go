package v1beta3

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestProviderGetTimeout(t *testing.T) {
	tests := []struct {
		name    string
		timeout *metav1.Duration
		want    time.Duration
	}{
		{name: "default", want: 15 * time.Second},
		{name: "explicit", timeout: &metav1.Duration{Duration: time.Minute}, want: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := &Provider{Spec: ProviderSpec{Timeout: tt.timeout}}
			if got := obj.GetTimeout(); got != tt.want {
				t.Errorf("GetTimeout() = %v, want %v", got, tt.want)
			}
		})
	}
}
