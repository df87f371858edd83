"""Where data lives: plain paths and file:// URIs, resolved to local paths.

Plain Python on purpose: the API's local launcher checks request paths with it
without importing pandas.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname


class UnsupportedLocationError(ValueError):
    """A location the local backend cannot read (s3://, http://, a remote host)."""


def as_local_path(location: str | Path) -> Path:
    """A path, or a file:// URI (percent-encoded, as Path.as_uri() writes it)."""
    text = str(location)
    parsed = urlparse(text)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            raise UnsupportedLocationError(f"file:// URIs must name a local file: {text}")
        return Path(url2pathname(parsed.path))
    if len(parsed.scheme) > 1:  # a single letter is a Windows drive, not a scheme
        raise UnsupportedLocationError(f"the local backend cannot read {parsed.scheme}:// paths")
    return Path(text).expanduser()
