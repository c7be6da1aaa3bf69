"""The decision layer of the snapshot: headline, setups and probabilities, from engine state."""
