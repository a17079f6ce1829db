// Package meta holds the API types, condition types, reasons and annotations that every
// toolkit group shares. It imports only apimachinery.
//
// +kubebuilder:object:generate=true
package meta
