"""Delivering a rendered mail: SMTP, sendmail, or a folder (``.eml`` files)."""

from __future__ import annotations

import asyncio
import os
import secrets
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Protocol

import aiosmtplib

from authgate.config.settings import EmailSettings
from authgate.mail.message import Mail
from authgate.storage.private import private_folder


class Transport(Protocol):
    name: str

    async def send(self, mail: Mail) -> None:
        """Deliver or raise; the outbox retries and keeps what cannot be delivered."""
        ...


def to_email_message(mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((mail.sender_name, mail.sender))
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=mail.sender.rsplit("@", 1)[-1] or None)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    return message


class SmtpTransport:
    name = "smtp"

    def __init__(self, config: EmailSettings) -> None:
        self.config = config.smtp

    async def send(self, mail: Mail) -> None:
        smtp = self.config
        await aiosmtplib.send(
            to_email_message(mail),
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.user,
            password=smtp.password.reveal() if smtp.password else None,
            use_tls=smtp.secure,
            start_tls=False if smtp.ignore_tls or smtp.secure else None,
            local_hostname=smtp.name,
            timeout=smtp.timeout,
        )


async def verify_smtp(config: EmailSettings) -> str | None:
    """Connect to the SMTP server and say hello (``EMAIL_VERIFY_SETUP``); the problem, or None."""
    smtp = config.smtp
    client = aiosmtplib.SMTP(
        hostname=smtp.host,
        port=smtp.port,
        use_tls=smtp.secure,
        start_tls=False if smtp.ignore_tls or smtp.secure else None,
        local_hostname=smtp.name,
        timeout=smtp.timeout,
    )
    try:
        await client.connect()
        if smtp.user or smtp.password:
            await client.login(smtp.user or "", smtp.password.reveal() if smtp.password else "")
        await client.quit()
    except (aiosmtplib.SMTPException, OSError) as exc:
        return exc.__class__.__name__
    return None


class SendmailTransport:
    name = "sendmail"

    def __init__(self, config: EmailSettings) -> None:
        self.path = config.sendmail_path
        self.crlf = config.sendmail_new_line == "windows"

    async def send(self, mail: Mail) -> None:
        data = to_email_message(mail).as_bytes()
        if self.crlf:
            data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        process = await asyncio.create_subprocess_exec(
            self.path,
            "-i",
            "-f",
            mail.sender,
            "--",
            mail.to,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, errors = await asyncio.wait_for(process.communicate(data), timeout=30)
        if process.returncode != 0:
            raise OSError(f"sendmail exited with {process.returncode}: {errors[:200]!r}")


class FolderTransport:
    """Writes each mail as an ``.eml`` file readable only by the server's user."""

    name = "file"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, mail: Mail) -> None:
        private_folder(self.folder)
        name = f"{secrets.token_hex(8)}-{mail.template or 'mail'}.eml"
        path = self.folder / name
        data = to_email_message(mail).as_bytes()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
