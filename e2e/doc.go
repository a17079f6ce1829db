// Package e2e holds the user stories run against the whole fleet (build tag e2e) and the
// checks of the workspace's layout rules.
package e2e
