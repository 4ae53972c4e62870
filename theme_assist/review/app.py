"""The review server: a FastAPI app over one project file, serving the page in ``static/`` and its JSON API.

Every decision is committed to the project file before the response is sent, so "saved" on the page means saved
on disk, with whether the machine's suggestions were on screen on the segment (``suggestions_shown``: 1, or 0 under
``--no-suggestions``, where blind mode withholds them, or where the segment has none), which the server decides
from its mode and the segment, never from the request; an undo stores that of the decision it undoes. Endpoints
(all JSON):

=======  =========================  ==========================================================================
GET      ``/api/session``           the session token, project name, known coders, blind, no-suggestions modes
GET      ``/api/codebook``          the code tree and its ``version``
GET      ``/api/documents``         documents with their metadata
GET      ``/api/queue``             segments to review (filters: document, code, min/max score, status, order)
GET      ``/api/segments/{id}``     one segment in context with suggestions, evidence and codes so far
GET      ``/api/bulk``              suggestions of one code at or above a score, not yet decided
GET      ``/api/progress``          the coder's progress, the engine's state, the codebook's version
POST     ``/api/decisions``         accept / reject / replace / add (201 once committed)
POST     ``/api/decisions/bulk``    accept or reject many suggestions in one transaction
POST     ``/api/undo``              undo the coder's latest decision (a bulk batch at once) if ``expected``
=======  =========================  ==========================================================================

Each GET answers HEAD too, without the body. Unknown segments, codes and documents get 404, malformed requests 422,
refused requests 403 (see :mod:`~theme_assist.review.security`), a request the project file cannot answer now 503
(locked by another program; moved, deleted or replaced since the server opened it; overwritten in place or
unreadable), a decision made on a segment as it stood before the coder's later decisions on it (``seen``, from
another tab or window) 409, as does an undo whose ``expected`` decision (the one the page made last; 0: none) is no
longer the coder's latest: its answer's ``latest`` names the one that is.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, Query
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints

from theme_assist.errors import InputError
from theme_assist.names import has_visible_character
from theme_assist.project.learn import BackgroundRefitter
from theme_assist.project.store import DecisionRequest, NotFound, ProjectStore, Stale, Unavailable
from theme_assist.refi.writer import NOT_XML
from theme_assist.review import views
from theme_assist.review.security import EVERY_ADDRESS, SameOriginGuard, allowed_hosts, new_token

STATIC = Path(__file__).parent / "static"
logger = logging.getLogger(__name__)


def xml_text(value):
    """``value``, refused if it is a string holding a character XML 1.0 cannot: the project's REFI-QDA export is
    XML. Runs before pydantic's own string check, which refuses a lone surrogate without naming it."""
    found = NOT_XML.search(value) if isinstance(value, str) else None
    if found:
        raise ValueError(f"character U+{ord(found.group()):04X} is not allowed (XML, and so the REFI-QDA "
                         "export, cannot hold it)")
    return value


def coder_name(value: str) -> str:
    """``value`` trimmed, as the project stores coder names, so a name finds the decisions stored under it; refused
    without a character to see (spaces, zero-width and formatting characters alone read as no name)."""
    value = value.strip()
    if not has_visible_character(value):
        raise ValueError("a coder needs a name")
    return value


Text = Annotated[str, BeforeValidator(xml_text)]
# the length on str itself: on Text (a validator's result) pydantic counted "items"
Coder = Annotated[str, StringConstraints(max_length=100), BeforeValidator(xml_text), AfterValidator(coder_name)]
SqliteInt = Annotated[int, Field(ge=-2**63, le=2**63 - 1)]


class DecisionIn(BaseModel):
    segment_id: Text = Field(max_length=500)
    action: Literal["accept", "reject", "replace", "add"]
    code: Text = Field(max_length=200)
    coder: Coder
    suggestion_id: SqliteInt | None = None
    replaces: Text = Field("", max_length=200)
    reason: Text = Field("", max_length=2000)
    seen: SqliteInt | None = None


class BulkItem(BaseModel):
    segment_id: Text = Field(max_length=500)
    suggestion_id: SqliteInt


class BulkIn(BaseModel):
    coder: Coder
    action: Literal["accept", "reject"]
    code: Text = Field(max_length=200)
    items: list[BulkItem] = Field(min_length=1, max_length=5000)


class UndoIn(BaseModel):
    coder: Coder
    expected: SqliteInt | None = None


def _records(frame) -> list[dict]:
    return [{k: (None if v != v else v) for k, v in row.items()}  # NaN → None
            for row in frame.astype(object).to_dict(orient="records")]


def create_app(project: str | Path, *, host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
               blind: bool = False, no_suggestions: bool = False, refitter: BackgroundRefitter | None = None,
               extra_hosts: set[str] = frozenset()) -> FastAPI:
    """The review app for ``project``.

    Parameters
    ----------
    project : str or Path
        An existing project file.
    host, port : str, int
        Where the server listens: requests must name this address (plus ``extra_hosts``); on every address
        (``0.0.0.0``, ``::``), any IP address of it or a loopback name.
    token : str, optional
        The session token; a fresh random one by default.
    blind : bool
        Hide other coders' codings (reliability rounds), and the suggestions on segments they coded: the engine
        learnt their codes and suggests them back there; a decision there naming a suggestion or a code it replaces
        is refused (the store's answers to them name the codes hidden).
    no_suggestions : bool
        Show no suggestion anywhere (a coder coding independently of the machine, whose suggestions would anchor
        them): the queue has no suggested code or score, nor its code and score filters (refused), a segment no
        suggestion or evidence quote (quotes of segments coded), and bulk review (of suggestions) is refused, as
        is a decision naming a suggestion or a code it replaces (the store's answers to them name suggestions).
        Decisions are stored as usual and the engine goes on learning (``refitter``), unseen. Combines with
        ``blind``.
    refitter : BackgroundRefitter, optional
        Told about every committed decision and undo; ``None`` switches learning off.
    """
    store = ProjectStore(project)
    store.keep_reads()  # each click reads the same run and segments again: kept until the project changes
    token = token or new_token()
    app = FastAPI(title="theme_assist review", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SameOriginGuard, hosts=allowed_hosts(host, port) | set(extra_hosts), token=token,
                       every_address_port=port if host in EVERY_ADDRESS else None)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.store, app.state.refitter = store, refitter

    @app.exception_handler(NotFound)
    def not_found(request, exc: NotFound):
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(Stale)
    def stale(request, exc: Stale):
        latest = {} if exc.latest is None else {"latest": exc.latest}
        return JSONResponse({"detail": str(exc), **latest}, status_code=409)

    @app.exception_handler(Unavailable)
    def unavailable(request, exc: Unavailable):
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(sqlite3.DatabaseError)
    def unusable(request, exc: sqlite3.DatabaseError):
        # the file changed under the server (another file copied over it in place) or an I/O error
        if isinstance(exc, sqlite3.ProgrammingError):  # a mistake in this program: a 500, with its traceback
            raise exc
        detail = (f"{store.path.name} could not be read or written: nothing was saved by this request; was the "
                  "file overwritten while the page was open? Stop theme-assist review and check it with "
                  "`theme-assist project info`")
        logger.warning("%s (SQLite: %s, in %s)", detail, exc, store.path)  # the cause, in the server's window only
        return JSONResponse({"detail": detail}, status_code=503)

    @app.exception_handler(InputError)
    def bad_input(request, exc: InputError):
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    def invalid(request, exc: RequestValidationError):
        # without the input each error echoes (a 10 MB reason came back whole); ASCII JSON: a lone surrogate in
        # what is left (the message) has no UTF-8 encoding
        errors = [{key: value for key, value in error.items() if key != "input"} for error in exc.errors()]
        for error in errors:  # our validators' words as written: the page shows them ("coder: a coder needs a name")
            error["msg"] = str(error.get("msg", "")).removeprefix("Value error, ")
        body = json.dumps({"detail": jsonable_encoder(errors)})
        return Response(body, status_code=422, media_type="application/json")

    def no_bulk() -> None:
        if no_suggestions:  # bulk review is of the engine's suggestions
            raise InputError("bulk review lists the engine's suggestions, which this page does not show "
                             "(theme-assist review --no-suggestions): code the segments one at a time")

    def answers_no_suggestion(decision: DecisionIn) -> None:
        # the store's refusals name a suggestion's code ("suggestion 5 suggests 'stigma'"), and a replace is taken
        # where the code replaced was suggested or another coder gave it: each would tell this page's coder what it
        # hides (in blind mode, on a segment another coder coded, their code twice over)
        if decision.suggestion_id is None and decision.action != "replace":
            return
        if no_suggestions:
            raise InputError("this page shows no suggestion (theme-assist review --no-suggestions): a decision here "
                             "answers none (no suggestion_id, no replace): give a code with action 'add'")
        if blind and views.withheld(store, decision.segment_id, decision.coder):
            raise InputError(f"blind mode shows no suggestion on segment {decision.segment_id!r}, which another "
                             "coder has coded: a decision there answers none (no suggestion_id, no replace): give "
                             "a code with action 'add'")

    def learned(count: int) -> None:
        if refitter is not None and count:
            refitter.decisions_recorded(count)

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @app.get("/favicon.ico", include_in_schema=False)
    def no_icon():
        return Response(status_code=204)  # the browser asks for one; a 404 reads as an error in its console

    @app.get("/api/session")
    def session():
        documents_version = store.documents_version()  # read before the page loads the documents (as /api/codebook)
        codebook = views.current_codebook(store)
        return {"token": token, "project": store.path.stem, "codebook": codebook.name, "exclusive": codebook.exclusive,
                "coders": store.coders(), "blind": blind, "no_suggestions": no_suggestions,
                "learning": refitter is not None, "documents_version": documents_version}

    @app.get("/api/codebook")
    def codebook():
        version = store.codebook_version()  # read first: a revision in between shows as a newer version later
        return {**views.codebook_tree(views.current_codebook(store)), "version": version}

    @app.get("/api/documents")
    def documents():
        return _records(store.documents())

    @app.get("/api/queue")
    def review_queue(coder: Coder, order: views.Order | None = None, document: str = "",
                     code: str = "", min_score: float = Query(0.0, ge=0, le=1),
                     max_score: float = Query(1.0, ge=0, le=1), status: views.Status = "open",
                     limit: int = Query(500, ge=1, le=5000)):
        return views.queue(store, coder, order=order, document=document, code=code, min_score=min_score,
                           max_score=max_score, status=status, limit=limit, blind=blind,
                           no_suggestions=no_suggestions)

    @app.get("/api/segments/{segment_id:path}")
    def segment(segment_id: str, coder: Coder):
        return views.segment_view(store, segment_id, coder, blind=blind, no_suggestions=no_suggestions)

    @app.get("/api/bulk")
    def bulk(code: str, coder: Coder, min_score: float = Query(0.8, ge=0, le=1),
             limit: int = Query(500, ge=1, le=5000)):
        no_bulk()
        return views.bulk_candidates(store, code, min_score, coder, limit=limit, blind=blind)

    @app.get("/api/progress")
    def progress(coder: Coder):
        store.check_in_place()  # the page polls this: a project file moved away is said before the next decision
        counts = views.progress(store, coder, blind)
        run = store.latest_run()
        model = {"run_id": run["id"], "mode": run["mode"], "model_id": run["model_id"],
                 "n_training": run["n_training"], "created_at": run["created_at"]} if run else None
        # the page polls this: a codebook revised since it loaded the codes (a newer version) makes it reload them
        return {**counts, "decisions": store.decision_count(), "model": model,
                "codebook_version": store.codebook_version(),
                # ... and documents added, withdrawn, restored, replaced or given new metadata, the documents
                "documents_version": store.documents_version(),
                "refitting": bool(refitter and refitter.running),
                "learning_error": refitter.last_error if refitter else ""}

    @app.post("/api/decisions", status_code=201)
    def decide(decision: DecisionIn):
        answers_no_suggestion(decision)
        # from the server's mode and the segment, never from the page (the methodologist's record of anchoring)
        shown = views.suggestions_shown(store, decision.segment_id, decision.coder, blind, no_suggestions)
        stored = store.record_decisions([DecisionRequest(**decision.model_dump(), suggestions_shown=shown)])
        learned(len(stored))
        return {"decisions": _records(stored)}

    @app.post("/api/decisions/bulk", status_code=201)
    def decide_many(bulk: BulkIn):
        no_bulk()
        codebook = views.current_codebook(store)
        views.check_code(codebook, bulk.code)
        items = dict.fromkeys((item.segment_id, item.suggestion_id) for item in bulk.items)  # each once
        if blind:  # as a decision there (answers_no_suggestion): the bulk list leaves these segments out
            hidden = views.coded_by_others(store, bulk.coder.strip(), codebook.exclusive)
            segment_id = next((segment_id for segment_id, _ in items if segment_id in hidden), None)
            if segment_id is not None:
                raise InputError(f"blind mode shows no suggestion on segment {segment_id!r}, which another coder "
                                 "has coded: bulk review leaves it out")
        requests = [DecisionRequest(segment_id, bulk.action, bulk.code, bulk.coder, suggestion_id,
                                    suggestions_shown=1)  # bulk review lists suggestions: shown by definition
                    for segment_id, suggestion_id in items]
        stored = store.record_decisions(requests)
        learned(len(stored))
        return {"decisions": _records(stored)}

    @app.post("/api/undo")
    def undo(request: UndoIn):
        undone = store.undo_last(request.coder, request.expected)
        learned(len(undone))  # an undo changes what the engine learns from, as a decision does
        return {"decisions": _records(undone)}

    for route in app.routes:  # HEAD as GET, without the body (the server leaves it out): not 405 as FastAPI has it
        if isinstance(route, APIRoute) and "GET" in route.methods:
            route.methods.add("HEAD")
    return app
