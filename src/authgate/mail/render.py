"""Rendering the built-in templates, or a deployment's own from ``EMAIL_TEMPLATES_PATH``.

Templates are Jinja2, which reads Directus's simple Liquid templates (``{{ url }}``, ``{% if %}``)
unchanged; a file named ``<template>.liquid`` (or ``.html``) in the templates path replaces the
built-in one. Everything is HTML-escaped.
"""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from jinja2 import TemplateNotFound as _NotFound

from authgate.mail.message import SUBJECTS, Mail

_BUILT_IN = Path(__file__).parent / "templates"


class _LiquidLoader(FileSystemLoader):
    """Reads Directus's Liquid layout tag (``{% layout "base" %}``) as a Jinja ``extends``."""

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Any]:
        source, filename, uptodate = super().get_source(environment, template)
        source = re.sub(
            r"""{%-?\s*layout\s+["']([\w-]+)["']\s*-?%}""", r'{% extends "\1.liquid" %}', source
        )
        return source, filename, uptodate


class MailRenderer:
    def __init__(self, templates_path: Path | None) -> None:
        loaders: list[Any] = []
        if templates_path is not None:
            loaders.append(_LiquidLoader(str(templates_path)))
        loaders.append(_LiquidLoader(str(_BUILT_IN)))
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(default=True, default_for_string=True),
            keep_trailing_newline=True,
        )

    def _template(self, name: str) -> Any:
        for candidate in (f"{name}.liquid", f"{name}.html"):
            try:
                return self.env.get_template(candidate)
            except _NotFound:
                continue
        raise LookupError(f"no mail template named {name}")

    def render(self, name: str, *, to: str, sender: str, data: Mapping[str, Any]) -> Mail:
        body = self._template(name).render(**data)
        return Mail(
            to=to,
            subject=SUBJECTS[name],
            html=body,
            text=html_to_text(body),
            sender=sender,
            sender_name=str(data.get("projectName") or "Directus"),
            template=name,
            data=dict(data),
        )


def html_to_text(body: str) -> str:
    """A readable plain-text part: links kept as ``text (url)``, tags dropped."""
    text = re.sub(r"(?is)<(script|style).*?</\1>", "", body)
    text = re.sub(
        r'(?is)<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>',
        lambda m: f"{re.sub('<[^>]+>', '', m.group(2)).strip()} ({m.group(1)})",
        text,
    )
    text = re.sub(r"(?i)<br\s*/?>|</p>|</h\d>|</tr>|</div>", "\n", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = html_lib.unescape(text)
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
