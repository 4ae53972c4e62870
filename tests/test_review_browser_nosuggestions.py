"""``theme-assist review --no-suggestions`` in a real browser (as :mod:`tests.test_review_browser`, whose browser
and helpers it uses): a coder coding independently of the machine sees none of its suggestions, and codes."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest

from theme_assist.project import ProjectStore
from theme_assist.project.testing import ReviewServer, make_project

from tests.test_review_browser import (browser, close_pages, new_page, pytestmark, start_coding,  # noqa: F401
                                       wait_for_next, wait_for_status)


def test_coding_without_suggestions_shows_none_and_saves_the_code_chosen(tmp_path, browser):  # noqa: F811
    """``review --blind`` still showed the engine's suggestions on segments nobody had coded: a coder who saw them
    was anchored by them. With ``--no-suggestions`` the page says so in a badge and shows no suggested code, score
    or evidence quote anywhere, the filters on them and bulk review off with the reason; a code chosen is saved."""
    from playwright.sync_api import expect

    project = tmp_path / "mini.taproj"
    make_project(project).close()
    server = ReviewServer(project, "--no-suggestions")
    try:
        page = new_page(browser, viewport={"width": 1400, "height": 1000})
        start_coding(page, server.url, "Ana", "interview_a")
        expect(page.locator("#no-suggestions-badge")).to_be_visible()
        expect(page.locator("#no-suggestions-badge")).to_contain_text("Coding without suggestions")
        expect(page.locator("#blind-badge")).to_be_hidden()
        expect(page.locator("#suggestions li.abstain")).to_have_text(
            "Coding without suggestions: choose a code (c) or skip (s).")
        expect(page.locator("#suggestions li.suggestion")).to_have_count(0)
        expect(page.locator(".evidence")).to_have_count(0)
        expect(page.locator("#queue li").first).to_be_visible()
        expect(page.locator("#queue .q-code")).to_have_count(0)  # no suggested code; no code of Ana's yet
        for control in ("#filter-code", "#filter-min", "#filter-max"):
            expect(page.locator(control)).to_be_disabled()
        expect(page.locator("#filters-off")).to_be_visible()
        expect(page.locator("#engine-status")).to_contain_text("its suggestions are not shown")
        shown = page.locator("#main").inner_text() + page.locator("#queue").inner_text()
        assert not re.search(r"\d%", shown), shown  # no score
        page.keyboard.press("c")
        page.keyboard.type("other")
        page.keyboard.press("Enter")
        wait_for_status(page, "Saved ✓ chose “Other”")
        wait_for_next(page, "interview_a:0")
        expect(page.locator("#queue li[data-id='interview_a:0']")).to_have_class(re.compile(r"\bcoded\b"))
        expect(page.locator("#suggestions li.suggestion")).to_have_count(0)
        page.click("#tab-bulk")
        expect(page.locator("#bulk-off")).to_be_visible()
        expect(page.locator("#bulk-form")).to_be_hidden()
        with ProjectStore(project) as store:
            saved = store.decisions(coder="Ana")
        assert list(zip(saved["segment_id"], saved["action"], saved["code"])) == [("interview_a:0", "add", "other")]
    finally:
        server.stop()


@contextmanager
def page_coding_without_suggestions(tmp_path, browser, viewport=None):  # noqa: F811
    """A page of ``review --no-suggestions`` on a small project, Ana coding document ``interview_a``."""
    project = tmp_path / "mini.taproj"
    make_project(project).close()
    server = ReviewServer(project, "--no-suggestions")
    try:
        page = new_page(browser, viewport=viewport or {"width": 1400, "height": 1000})
        start_coding(page, server.url, "Ana", "interview_a")
        yield page
    finally:
        server.stop()


def test_the_bulk_tab_says_why_it_is_off_to_a_screen_reader(tmp_path, browser):  # noqa: F811
    """The reason bulk review is off stood in the tab's panel, which has nothing to focus: a coder on a screen reader
    reaching the tab with the keys heard "Bulk by code, tab, selected", and Tab went on to the filters, past it. The
    tab is described by the reason."""
    from playwright.sync_api import expect

    with page_coding_without_suggestions(tmp_path, browser) as page:
        page.focus("#tab-review")
        page.keyboard.press("ArrowRight")
        tab = page.get_by_role("tab", name="Bulk by code")
        expect(tab).to_be_focused()
        expect(tab).to_have_attribute("aria-selected", "true")
        expect(tab).to_have_accessible_description(re.compile(
            r"^Coding without suggestions: bulk review lists the engine's suggestions of a code, so it is off\. "
            r"Code the segments one at a time\.$"))


def test_the_filters_off_say_why_to_a_screen_reader(tmp_path, browser):  # noqa: F811
    """The code and score filters, off, were read as "Suggested code, combo box, dimmed" with no reason: the note
    saying why came after them, in no relation to them. Each is described by it."""
    from playwright.sync_api import expect

    with page_coding_without_suggestions(tmp_path, browser) as page:
        why = "Coding without suggestions: no suggested code or score to filter on."
        for role, name in (("combobox", "Suggested code"), ("spinbutton", "Score from"), ("spinbutton", "Score to")):
            control = page.get_by_role(role, name=name, exact=True)
            expect(control).to_be_disabled()
            expect(control).to_have_accessible_description(why)
        expect(page.get_by_role("combobox", name="Status")).to_have_accessible_description("")


def test_the_score_boxes_off_look_off(tmp_path, browser):  # noqa: F811
    """The score boxes, off, looked as the filters on do (the same text, background and edge; only the pointer's
    cursor changed): "Score from 0 to 1" read as boxes to type in. Off, a box is filled and its edge dashed."""
    with page_coding_without_suggestions(tmp_path, browser, viewport={"width": 390, "height": 844}) as page:
        look = "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.borderTopStyle]; }"
        on = page.eval_on_selector("#filter-status", look)
        assert on == ["rgb(255, 255, 255)", "solid"], on
        for control in ("#filter-code", "#filter-min", "#filter-max"):
            off = page.eval_on_selector(control, look)
            assert off[0] != on[0] and off[1] == "dashed", (control, off)


def test_without_suggestions_choosing_a_code_is_the_main_action(tmp_path, browser):  # noqa: F811
    """Accept and Reject can do nothing where no suggestion is shown, yet stood first after the segment, Accept as
    the main (blue) button, with "Choose another code" and the keys' hints for accepting, rejecting and picking a
    suggestion: they go, and "Choose a code" is the main action."""
    from playwright.sync_api import expect

    with page_coding_without_suggestions(tmp_path, browser) as page:
        for hidden in ("#btn-accept", "#btn-reject", "#keys-suggestions", "#keys-pick"):
            expect(page.locator(hidden)).to_be_hidden()
        expect(page.locator("#btn-choose")).to_have_class(re.compile(r"\bprimary\b"))
        expect(page.get_by_role("button", name=re.compile(r"^Choose a code"))).to_be_visible()
        expect(page.locator("#suggestions-title")).to_have_text("Suggested codes: not shown")
        page.click("#btn-choose")
        expect(page.locator("#code-dialog-title")).to_have_text("Choose a code")


@pytest.mark.parametrize("modes, said", [
    (("--no-suggestions", "--blind"), "Blind mode: other coders' codings are hidden. Coding without suggestions: the "
                                      "engine's suggestions are hidden."),
    ((), None),
])
def test_the_name_dialog_says_the_mode_before_coding_starts(tmp_path, browser, modes, said):  # noqa: F811
    """The badges stand in the top bar, behind the name dialog: a coder (on a screen reader above all) learnt the
    mode only once coding had started. The dialog says it, and the name box is described by it."""
    from playwright.sync_api import expect

    project = tmp_path / "mini.taproj"
    make_project(project).close()
    server = ReviewServer(project, *modes)
    try:
        page = new_page(browser, viewport={"width": 1400, "height": 1000})
        page.goto(server.url + "/")
        name = page.get_by_role("combobox", name="Your name")
        expect(name).to_be_focused()
        if said is None:
            expect(page.locator("#coder-mode")).to_be_hidden()
            expect(name).to_have_accessible_description("")
        else:
            expect(page.locator("#coder-mode")).to_have_text(said)
            expect(name).to_have_accessible_description(said)
    finally:
        server.stop()


def test_a_reliability_round_page_orders_by_document_and_tells_nothing_of_others(tmp_path, browser):  # noqa: F811
    """``--blind --no-suggestions``: "Most informative first" ordered the queue by the engine's uncertainty about the
    suggestions the page hides (the segments others coded last), and "Not coded yet" left out the segments others
    coded. The order is the documents' (said why), the status is gone, and the engine is said not to refit."""
    from playwright.sync_api import expect

    project = tmp_path / "mini.taproj"
    make_project(project).close()
    server = ReviewServer(project, "--no-suggestions", "--blind")
    try:
        page = new_page(browser, viewport={"width": 1400, "height": 1000})
        start_coding(page, server.url, "Ana", "interview_a")
        order = page.get_by_role("combobox", name="Order")
        expect(order).to_be_disabled()
        expect(order).to_have_accessible_description("Coding without suggestions: the queue is in document order.")
        assert page.eval_on_selector_all("#filter-order option", "os => os.map(o => o.textContent)") == [
            "Document order"]
        statuses = page.eval_on_selector_all("#filter-status option", "os => os.map(o => o.value)")
        assert statuses == ["open", "coded", "rejected", "skipped", "all"], statuses
        expect(page.locator("#engine-status")).to_contain_text("it does not refit while the page is served")
        expect(page.locator("#queue li").first).to_have_attribute("data-id", "interview_a:0")
        expect(page.locator("#save-status")).not_to_have_class(re.compile(r"\berror\b"))
    finally:
        server.stop()
