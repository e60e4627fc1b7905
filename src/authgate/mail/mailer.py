"""Composing the three auth mails with Directus's template data, and queueing them."""

from __future__ import annotations

from typing import Any

from authgate.config.settings import Settings
from authgate.mail.outbox import Outbox
from authgate.mail.render import MailRenderer
from authgate.project.model import ProjectSettings
from authgate.urls import public_link


class Mailer:
    def __init__(self, renderer: MailRenderer, outbox: Outbox, settings: Settings) -> None:
        self.renderer = renderer
        self.outbox = outbox
        self.settings = settings

    def _base(self, project: ProjectSettings) -> dict[str, Any]:
        public = self.settings.public_url
        logo = (
            public_link(public, f"/assets/{project.project_logo}")
            if project.project_logo
            else public_link(public, "/admin/img/directus-white.png")
        )
        return {
            "projectName": project.project_name or "Directus",
            "projectColor": project.project_color or "#171717",
            "projectLogo": logo,
            "projectUrl": project.project_url or "",
        }

    def send(
        self, template: str, *, to: str, url: str, project: ProjectSettings, **extra: Any
    ) -> None:
        data = {**self._base(project), "url": url, "email": to, **extra}
        mail = self.renderer.render(template, to=to, sender=self.settings.email.sender, data=data)
        self.outbox.queue(mail)
