package manager

import (
	"sort"

	"github.com/go-logr/logr"
	"github.com/spf13/pflag"
)

// FlagKind tells how an accepted-but-ignored flag parses.
type FlagKind int

const (
	// StringFlag takes a value.
	StringFlag FlagKind = iota
	// BoolFlag may be given without a value.
	BoolFlag
)

// commonIgnoredFlags are flags of Flux's shared controller runtime that have no meaning in
// Ferry: accepted so existing manifests keep working, and logged as ignored when set. A
// controller that honours one of them binds it first (--default-kubeconfig-service-account
// with Program.RemoteClusters, --default-decryption-service-account with
// Program.Decryption), and it is then not ignored.
var commonIgnoredFlags = map[string]FlagKind{
	"interval-jitter-percentage":         StringFlag,
	"enable-oom-watch":                   BoolFlag,
	"oom-watch-memory-threshold":         StringFlag,
	"oom-watch-max-memory-path":          StringFlag,
	"oom-watch-current-memory-path":      StringFlag,
	"oom-watch-interval":                 StringFlag,
	"leader-election-release-on-cancel":  BoolFlag,
	"default-kubeconfig-service-account": StringFlag,
	"default-decryption-service-account": StringFlag,
	"reconcile-timeout":                  StringFlag,
	"watch-configs-label-selector":       StringFlag,
}

type ignoredFlags struct {
	values map[string]*string
	fs     *pflag.FlagSet
}

func (g *ignoredFlags) bind(fs *pflag.FlagSet, flags map[string]FlagKind) {
	if g.values == nil {
		g.values = map[string]*string{}
	}
	g.fs = fs
	for name, kind := range flags {
		if fs.Lookup(name) != nil {
			continue
		}
		v := new(string)
		g.values[name] = v
		fs.StringVar(v, name, "", "Accepted for compatibility with Flux; has no effect in Ferry.")
		if kind == BoolFlag {
			fs.Lookup(name).NoOptDefVal = "true"
		}
		_ = fs.MarkHidden(name)
	}
}

// LogIgnored logs each accepted-but-ignored flag that was set.
func (o *Options) LogIgnored(log logr.Logger) {
	if o.ignored.fs == nil {
		return
	}
	var set []string
	for name := range o.ignored.values {
		if f := o.ignored.fs.Lookup(name); f != nil && f.Changed {
			set = append(set, name)
		}
	}
	sort.Strings(set)
	for _, name := range set {
		log.Info("flag has no effect in Ferry and is ignored", "flag", "--"+name, "value", *o.ignored.values[name])
	}
	for _, gate := range o.unknownGates() {
		log.Info("feature gate has no effect in Ferry and is ignored", "flag", "--feature-gates", "gate", gate)
	}
}
