"""Names of coders as messages show them, and the near misses they name (``theme_assist.names``)."""

from __future__ import annotations

import pandas as pd
import pytest

from theme_assist.errors import InputError
from theme_assist.inputs import rows_of_coder
from theme_assist.names import as_stored, did_you_mean


def test_a_near_miss_is_named_and_names_apart_in_unicode_form_alone_are_shown_in_escapes():
    assert did_you_mean("ann", ["Ann", "Ben"]) == ("'ann'", " (did you mean 'Ann'? coders are matched as written)")
    assert did_you_mean("Ann\u200b", ["Ann"])[1] == " (did you mean 'Ann'? coders are matched as written)"
    shown, meant = did_you_mean("Jose\u0301", ["Jos\u00e9"])
    assert shown == "'Jose\\u0301'" and meant == " (did you mean 'Jos\\xe9'? coders are matched as written)"
    assert did_you_mean("Cy", ["Ann", "Ben"]) == ("'Cy'", "")


def test_suggest_and_discover_coder_names_the_coder_meant():
    """``suggest --coder ann`` on a table of Ann's said only that the table had no codes of that coder."""
    coded = pd.DataFrame({"text": ["a", "b"], "code": ["x", "y"], "coder": ["Ann", "Ben"]})
    with pytest.raises(InputError) as refusal:
        rows_of_coder(coded, "ann", "coded.csv")
    assert str(refusal.value) == ("--coder 'ann': coded.csv has no codes of that coder (did you mean 'Ann'? coders "
                                  "are matched as written) (coders: Ann, Ben)")


def test_a_name_in_another_unicode_form_is_the_one_stored_name_of_that_form():
    """project withdraw/restore/export --document and project replace each mapped such a name in their own code."""
    stored = ["z\u00fcrich", "Jos\u00e9", "Jose\u0301", "bern"]
    assert as_stored("zu\u0308rich", stored) == "z\u00fcrich"  # as a Mac names the file
    assert as_stored("bern", stored) == "bern" and as_stored("genf", stored) == "genf"
    assert as_stored("Jose\u0301", stored) == "Jose\u0301"  # stored as given
    # several of that form (U+212B, the Angstrom sign, is U+00C5 in form NFC, as "A" and a ring above is): neither
    assert as_stored("\u212bbo", ["\u00c5bo", "A\u030abo"]) == "\u212bbo"
    assert as_stored("Z\u00fcrich", stored) == "Z\u00fcrich"  # case is not form
