// The Inference layer: see docs/architecture.md.
