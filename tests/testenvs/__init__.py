"""Gymnasium envs of the tests' own, registered outside Gymnasium's namespace when imported.

``testenvs.goal_point`` registers ``simrl_test/GoalPoint-v0`` (and variants); with the tests folder
on ``sys.path`` (PYTHONPATH=tests for subprocesses) the id is reachable as
``testenvs.goal_point:simrl_test/GoalPoint-v0`` from the API and the command line.
"""
