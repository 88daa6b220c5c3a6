// The KuboRPC layer: see docs/architecture.md.
