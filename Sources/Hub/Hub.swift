// The Hub layer: see docs/architecture.md.
