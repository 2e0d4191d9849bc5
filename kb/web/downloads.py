"""CSV downloads that spreadsheets open correctly: UTF-8 with a byte-order mark, named files."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from flask import Response, stream_with_context

BOM = "\ufeff"  # Excel reads a CSV without it in the local code page: "åbner", "hasła" would come out garbled


def csv_download(content: str | Iterable[str], filename: str) -> Response:
    """A CSV attachment; an iterable of text parts is streamed as it is produced."""
    def parts() -> Iterator[str]:
        yield BOM
        yield from ([content] if isinstance(content, str) else content)
    body = BOM + content if isinstance(content, str) else stream_with_context(parts())
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
