// The BlockStore layer: see docs/architecture.md.
