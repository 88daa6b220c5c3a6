// The IPFSRouter layer: see docs/architecture.md.
