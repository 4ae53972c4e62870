"""theme_assist: machine-assisted qualitative coding, offline.

The flow, one module per step: ``ingest`` (transcripts in) → ``segment`` (spaCy) → ``embed``
(sentence-transformers, cached) → ``suggest`` (code suggestions with evidence) / ``discover`` (candidate themes)
→ ``review`` (coders' decisions in a project file) → ``agree`` (agreement statistics) → ``refi`` (REFI-QDA
exchange).
"""

__version__ = "0.1.0"
