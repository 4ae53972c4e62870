"""Coding projects: one SQLite file with documents, segments, codebook history, human codings, machine
suggestions and every review decision (see :mod:`~theme_assist.project.schema`).

>>> from theme_assist.project import ProjectStore
>>> store = ProjectStore("study.taproj")                       # doctest: +SKIP
>>> store.record_decisions([DecisionRequest("fg_ulm_01:4", "accept", "psw_role_clarity", "Ana")])  # doctest: +SKIP
"""

from theme_assist.project.build import create_project
from theme_assist.project.state import coder_state, training_codings
from theme_assist.project.store import ACTIONS, DecisionRequest, NotFound, ProjectStore

__all__ = ["ACTIONS", "DecisionRequest", "NotFound", "ProjectStore", "coder_state", "create_project",
           "training_codings"]
