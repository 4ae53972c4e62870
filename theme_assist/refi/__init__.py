"""REFI-QDA exchange: import ``.qdpx`` projects and ``.qdc`` codebooks, export them back losslessly.

Modules, one job each: :mod:`~.reader` (QDA-XML → model), :mod:`~.model` (the project in memory),
:mod:`~.convert` (model ↔ codebook, documents, codings table), :mod:`~.spans` (placing table rows on character
spans), :mod:`~.variables` (document metadata ↔ variables), :mod:`~.assemble` (the project to export),
:mod:`~.writer` (model → QDA-XML, ``.qdpx`` / ``.qdc``), :mod:`~.folder` (the imported project folder),
:mod:`~.atomic` (all-or-nothing outputs) and :mod:`~.exchange` (the two calls most callers need).
Untrusted archives are read through :mod:`theme_assist.safezip`, the zip checks shared with the ``.docx`` and
``.xlsx`` readers.
"""

from theme_assist.refi.assemble import machine_user_name
from theme_assist.refi.exchange import Exported, Imported, export_project, import_project, read_project
from theme_assist.safezip import ZipLimits

__all__ = ["Exported", "Imported", "ZipLimits", "export_project", "import_project", "machine_user_name",
           "read_project"]
