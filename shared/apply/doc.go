// Package apply holds Ferry's staged server-side apply engine: it validates a set of
// objects with a server-side dry run, writes only those that differ from the cluster
// (class objects such as CRDs and Namespaces first, waited for until ready), records the
// inventory of what it applied in Flux's id format, and prunes objects that left it.
//
// Per-object annotations, whose names the caller passes (Annotations: kustomize-controller's
// are kustomize.toolkit.fluxcd.io/ssa, …/reconcile, …/prune and …/force), change the treatment:
// ssa: Ignore never applies the object; reconcile: disabled (on the object of the build or
// on the live one) is never applied, and Prune never deletes it;
// ssa: IfNotPresent creates it only when missing;
// ssa: Merge applies it without forcing ownership, so fields other managers own are kept
// and a conflict over a field we set is reported as an error instead of taken over;
// force: enabled (or Options.Force) deletes and recreates an object whose update fails on
// an immutable field.
package apply
