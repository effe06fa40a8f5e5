"""Hydra configuration (data); installed as the package simrl.conf."""
