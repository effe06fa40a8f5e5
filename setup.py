"""Package discovery: simrl/* plus the data folders envs/ and conf/ mapped into the package.

`envs/` becomes `simrl.assets` and `conf/` becomes `simrl.conf`, so importlib.resources (and Hydra's
`pkg://simrl.conf`) find them after a non-editable install as well as from a checkout.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["simrl", "simrl.*"]) + ["simrl.assets", "simrl.conf"],
    package_dir={"simrl.assets": "envs", "simrl.conf": "conf"},
)
