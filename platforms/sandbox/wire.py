"""Request and reply values passed between the HTTP server and the endpoint modules."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from platforms.sandbox.store import dumps


@dataclass
class Upload:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""
    _form: dict[str, str] | None = None
    _files: dict[str, Upload] | None = None

    def json(self) -> dict[str, Any]:
        if not self.body:
            return {}
        data = json.loads(self.body)
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    def form(self) -> dict[str, str]:
        self._parse_form()
        assert self._form is not None  # noqa: S101
        return self._form

    def files(self) -> dict[str, Upload]:
        self._parse_form()
        assert self._files is not None  # noqa: S101
        return self._files

    def param(self, name: str, default: str | None = None) -> str | None:
        """A value from the query string or the form body (Graph accepts either)."""
        if name in self.query:
            return self.query[name]
        ctype = self.headers.get("content-type", "")
        if self.method in ("POST", "PUT") and "json" not in ctype:
            return self.form().get(name, default)
        return default

    def _parse_form(self) -> None:
        if self._form is not None:
            return
        self._form, self._files = {}, {}
        ctype = self.headers.get("content-type", "")
        if ctype.startswith("multipart/form-data"):
            self._parse_multipart(ctype)
        elif self.body:
            self._form = dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))

    def _parse_multipart(self, ctype: str) -> None:
        # The email parser handles MIME multipart without the deprecated cgi module.
        message = BytesParser(policy=HTTP).parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + self.body
        )
        assert self._form is not None and self._files is not None  # noqa: S101
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not name:
                continue
            payload = part.get_payload(decode=True) or b""
            filename = part.get_filename()
            if filename is not None:
                self._files[str(name)] = Upload(
                    str(filename), part.get_content_type(), bytes(payload)
                )
            else:
                charset = part.get_content_charset() or "utf-8"
                self._form[str(name)] = bytes(payload).decode(charset)


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def json_reply(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, dumps(data), headers=dict(headers or {}))


def html_reply(status: int, html: str) -> Reply:
    return Reply(status, html.encode(), content_type="text/html; charset=utf-8")
