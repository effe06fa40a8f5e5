"""MJCF scenes of simrl (data); installed as the package simrl.assets."""
