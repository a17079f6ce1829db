// Package apply holds the inventory of applied objects: the identities of the objects a
// reconciler wrote to the cluster, in the id format of Flux's status.inventory, and the
// difference between two inventories that tells which objects to prune.
package apply
