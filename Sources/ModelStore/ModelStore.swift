// The ModelStore layer: see docs/architecture.md.
