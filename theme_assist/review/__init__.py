"""The review page: coders accept, reject, replace and add codes in a local web page (``theme-assist review``).

:mod:`~theme_assist.review.app` is the FastAPI app, :mod:`~theme_assist.review.views` assembles what the page
shows, :mod:`~theme_assist.review.security` guards it, and ``static/`` holds the page (plain HTML, CSS and
JavaScript, no build step, nothing fetched from elsewhere).
"""

from theme_assist.review.app import create_app

__all__ = ["create_app"]
