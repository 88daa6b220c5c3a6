// The ModelServer layer: see docs/architecture.md.
