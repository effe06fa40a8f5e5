"""The resolvers conf/*.yaml uses: `${simrl.slug:...}`, `${simrl.cpus:}`, `${simrl.new_dir:...}`."""

from __future__ import annotations

from omegaconf import OmegaConf

from simrl.files import claim_dir
from simrl.nn.compute import usable_cpus

_RESOLVERS = {
    # `${simrl.slug:${env.id}}` -> a file-name-safe id (simrl/Push-v0 -> simrl_Push-v0)
    "simrl.slug": lambda value: str(value).replace("/", "_").replace(" ", "_"),
    # `${simrl.cpus:}` -> usable cores (launcher defaults)
    "simrl.cpus": usable_cpus,
}
# `${simrl.new_dir:outputs/...}` -> a directory created for this run alone (`claim_dir`); cached
# per config like Hydra's `${now:}`, so every later read of the key (and a sweep's jobs, which
# copy the resolver cache) sees the same directory
_CACHED_RESOLVERS = {"simrl.new_dir": lambda path: str(claim_dir(path))}


def register_resolvers() -> None:
    """Register the resolvers with OmegaConf (idempotent)."""
    for name, fn in _RESOLVERS.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn)
    for name, fn in _CACHED_RESOLVERS.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn, use_cache=True)
