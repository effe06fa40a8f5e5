"""Device and thread settings for a run (defined in simrl.nn.device, the lowest layer that needs them)."""

from simrl.nn.device import resolve_device, set_threads

__all__ = ["resolve_device", "set_threads"]
