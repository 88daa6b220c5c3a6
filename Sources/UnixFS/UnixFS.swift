// The UnixFS layer: see docs/architecture.md.
