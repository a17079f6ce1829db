package manager

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// FeatureGate reports whether --feature-gates turns the named gate on ("Name" alone or
// "Name=true"). A gate the controller does not know is never on; it is logged as ignored.
func (o *Options) FeatureGate(name string) bool {
	on, _ := o.gates()[name]
	return on && o.knownGate(name)
}

// SetKnownFeatureGates declares the gates this controller acts on; others are ignored.
func (o *Options) SetKnownFeatureGates(names []string) {
	o.known = names
}

func (o *Options) knownGate(name string) bool {
	for _, k := range o.known {
		if k == name {
			return true
		}
	}
	return false
}

// gates parses --feature-gates; a malformed value reads as false.
func (o *Options) gates() map[string]bool {
	gates := map[string]bool{}
	for _, pair := range strings.Split(o.FeatureGates, ",") {
		name, value, hasValue := strings.Cut(strings.TrimSpace(pair), "=")
		if name == "" {
			continue
		}
		on := true
		if hasValue {
			on, _ = strconv.ParseBool(strings.TrimSpace(value))
		}
		gates[name] = on
	}
	return gates
}

// unknownGates lists the gates set on the command line that this controller does not know.
func (o *Options) unknownGates() []string {
	var unknown []string
	for name := range o.gates() {
		if !o.knownGate(name) {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	return unknown
}

// setDefaults changes the defaults of flags already registered on fs.
func setDefaults(fs *pflag.FlagSet, defaults map[string]string) error {
	for name, value := range defaults {
		f := fs.Lookup(name)
		if f == nil {
			return fmt.Errorf("failed to set the default of --%s: no such flag", name)
		}
		if err := f.Value.Set(value); err != nil {
			return fmt.Errorf("failed to set the default of --%s: %w", name, err)
		}
		f.DefValue = value
	}
	return nil
}
