"""Reading a ``.qdpx`` archive that may have been crafted to hurt the reader.

The checks live in :mod:`theme_assist.safezip`, shared with the ``.docx`` and ``.xlsx`` readers (and used on a
``.docx`` nested in a ``.qdpx``); this module keeps the names the REFI-QDA code has always imported.
"""

from theme_assist.safezip import SafeArchive, ZipLimits, check_archive, checked_entries, checked_name, open_archive

__all__ = ["SafeArchive", "ZipLimits", "check_archive", "checked_entries", "checked_name", "open_archive"]
