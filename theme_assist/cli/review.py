"""``theme-assist review``: the review page for a project, served on this computer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer


def check_port(host: str, port: int) -> int:
    """The port to serve on: ``port``, or a free one for 0. Refuses, in one line, a port something else already
    listens on (uvicorn would log and exit 3) and a host that is not an address of this machine.

    The probe binds as uvicorn does, with ``SO_REUSEADDR`` (not on Windows, where it would let two servers share a
    port): without it, the connections a stopped server's page left waiting (TIME_WAIT, about a minute) made
    ``--port`` refuse a restart on the same port as "in use"."""
    import errno
    import os
    import socket

    from theme_assist.errors import InputError

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        if os.name != "nt":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            reason = error.strerror or str(error)
            if error.errno == errno.EADDRINUSE:
                raise InputError(f"cannot listen on {host}:{port} ({reason}); choose another --port or leave it "
                                 "out for a free one") from None
            raise InputError(f"cannot listen on --host {host} ({reason}): give an address of this machine, such "
                             "as 127.0.0.1 (the default)") from None
        return probe.getsockname()[1]


def page_url(host: str, port: int) -> str:
    """The page's address on this computer: a server on every address (``0.0.0.0``, ``::``) by the loopback one,
    which browsers open (Chrome refuses ``http://0.0.0.0``, Windows cannot connect to it)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}/"


def refit_settings(run: dict | None, top_k: int | None) -> dict:
    """The settings the page's refits use: ``top_k`` where given, else those of the project's latest ``run``
    (``project suggest --top-k --threshold --diversity``: a refit must not quietly undo them), else the defaults."""
    params = json.loads(run["params"] or "{}") if run else {}
    settings = {"top_k": params.get("top_k", 3), "threshold": params.get("threshold", "auto"),
                "diversity": params.get("diversity", 0.5)}
    return settings | ({"top_k": top_k} if top_k is not None else {})


def model_change(run: dict | None, model_id: str) -> str:
    """A warning where the latest ``run`` was fitted on another embedding model than the refits' ``model_id``
    (its suggestions would change at the first refit for that alone), else ""."""
    if run is None or run["embedding_model"] in ("", model_id):
        return ""
    return (f"the latest run ({run['id']}) was fitted on {run['embedding_model']}, the page's refits use {model_id}: "
            "give review the --model `project suggest` was given to keep it")


def review(
    project: Path = typer.Argument(..., help="The project file (see `theme-assist project init`)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on. Anything but 127.0.0.1 lets "
                                                         "other computers reach the page: only on a trusted network."),
    port: int = typer.Option(0, "--port", min=0, max=65535, help="Port (0: any free one)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open the page in a browser."),
    blind: bool = typer.Option(False, "--blind", help="Hide other coders' codings, and the suggestions on the "
                                                       "segments they coded (reliability rounds). The engine still "
                                                       "learns from every coder, and its evidence quotes are "
                                                       "segments others coded: for a fully independent round, "
                                                       "review a project made without their codings."),
    no_suggestions: bool = typer.Option(False, "--no-suggestions", help="Show none of the engine's suggestions, "
                                        "nor its evidence quotes or bulk review: a coder coding independently of "
                                        "the machine (its suggestions anchor a coder who sees them), in document "
                                        "order. Decisions are stored as usual; the engine does not refit on them "
                                        "unless --refit-every is given. Combines with --blind."),
    refit_every: Optional[int] = typer.Option(None, "--refit-every", min=0, help="Refit the engine in the "
                                              "background after this many decisions (0: never; default 10, and 0 "
                                              "with --no-suggestions: nothing shows a refit's suggestions, and the "
                                              "machine's pre-coding stays the one fitted before the round)."),
    top_k: Optional[int] = typer.Option(None, "--top-k", min=1, help="Codes suggested per segment after a refit "
                                                                      "(default: as in the latest run, else 3)."),
    model: str = typer.Option(None, "--model", help="sentence-transformers model for refits (default: packaged)."),
) -> None:
    """Serve the review page for PROJECT and open it in the browser."""
    import signal
    import threading
    import time
    import warnings
    import webbrowser

    import uvicorn
    from theme_assist.cli._console import message_console
    from theme_assist.cli.project import _all_withdrawn

    from theme_assist.errors import InputError
    from theme_assist.project import ProjectStore
    from theme_assist.project.learn import BackgroundRefitter
    from theme_assist.project.store import Unavailable
    from theme_assist.review.app import create_app
    from theme_assist.review.security import LOOPBACK

    console = message_console()
    with ProjectStore(project) as store:  # a missing or foreign file fails here, in one line
        if withdrawn := _all_withdrawn(store, project):
            console.print(f"nothing to review: {withdrawn}", markup=False)
            return
        try:
            store.check_writable()
        except Unavailable as exc:  # locked by another program: not read-only
            warnings.warn(f"{exc} (the page is served meanwhile)", stacklevel=1)
        except InputError:
            warnings.warn(f"{project} is read-only: the page shows it, but no decision can be saved (copy the "
                          "project somewhere writable to review)", stacklevel=1)
        run = store.latest_run()
        decisions = store.decision_count()
    port = check_port(host, port)
    if refit_every is None:
        refit_every = 0 if no_suggestions else 10
    refitter = None
    if refit_every:
        from theme_assist.embed import Embedder

        embedder = Embedder(model=model)
        if warning := model_change(run, embedder.model_id):
            warnings.warn(warning, stacklevel=1)
        refitter = BackgroundRefitter(project, every=refit_every, embedder=embedder, **refit_settings(run, top_k))
    app = create_app(project, host=host, port=port, blind=blind, no_suggestions=no_suggestions,
                     refitter=refitter)
    if refitter is not None and run is None:
        refitter.start()  # first suggestions, while the coder picks their name
    elif refitter is not None:  # decisions since the latest run (a server stopped before it refitted on them) count
        refitter.decisions_recorded(max(0, decisions - run["n_decisions"]))
    # no lifespan task (the app has no startup or shutdown work): a second Ctrl+C as it stopped cancelled that task,
    # logged as "ERROR: Traceback … CancelledError" above the line saying every decision is saved
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    url = page_url(host, port)
    if host not in LOOPBACK:
        console.print(f"[yellow]warning:[/] listening on {host}: other computers on the network can open the page")

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.05)
        if server.started:
            print(f"theme-assist review: serving {project} at {url} (Ctrl+C to stop)", flush=True)
            if no_suggestions and refitter is None:
                print("theme-assist review: no refits under --no-suggestions (the engine stays as fitted before "
                      "the page was served; --refit-every N refits it)", flush=True)
            if not no_browser:
                webbrowser.open(url)

    def stopped() -> None:  # each decision was committed before the page was told it was saved
        if not server.started:
            return
        refit = ("; the refit under way is dropped (the next one, or project suggest, learns from the same decisions)"
                 if refitter is not None and refitter.running else "")
        print(f"theme-assist review: stopped; every decision made on the page is saved in {project}{refit}",
              flush=True)

    class Terminated(Exception):
        """SIGTERM, raised by the handler uvicorn gives it back to once the server has shut down."""

    def terminated(signum, frame):
        raise Terminated

    threading.Thread(target=announce, daemon=True).start()
    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn stops on Ctrl+C, then raises it again: said here, not as "interrupted"
        stopped()
        raise SystemExit(130) from None
    except Terminated:  # uvicorn re-raised it with our handler: it killed the process before the line was said
        stopped()
        # then ended by SIGTERM, as uvicorn ends: what was asked (a supervisor such as systemd reads it as a clean
        # stop, where an exit status of 143 is a failure)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
    stopped()  # stopped otherwise (SIGINT ignored, as in a background job, is not raised again)


def register(app: typer.Typer) -> None:
    app.command("review")(review)
