// The HubDatabase layer: see docs/architecture.md.
