// The Multiformats layer: see docs/architecture.md.
