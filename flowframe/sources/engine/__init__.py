"""The local flow engine: the hosted payloads, computed from a chain, a tape and spot."""
