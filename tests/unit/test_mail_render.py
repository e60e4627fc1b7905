"""Mail templates: Directus's data, escaping, a plain-text part, and overrides by file name."""

from __future__ import annotations

from pathlib import Path

from authgate.mail.render import MailRenderer, html_to_text

DATA = {
    "projectName": "Acme <Corp>",
    "projectColor": "#123456",
    "projectLogo": "",
    "projectUrl": "",
    "url": "http://example.com/reset?lang=fr&token=abc",
    "email": "ada@example.com",
}


def test_built_in_reset_mail() -> None:
    mail = MailRenderer(None).render(
        "password-reset", to="ada@example.com", sender="no-reply@example.com", data=DATA
    )

    assert mail.subject == "Password Reset Request"
    assert mail.sender_name == "Acme <Corp>"
    assert 'href="http://example.com/reset?lang=fr&amp;token=abc"' in mail.html
    assert "Acme &lt;Corp&gt;" in mail.html
    assert "Acme <Corp>" not in mail.html
    assert "(http://example.com/reset?lang=fr&token=abc)" in mail.text


def test_every_template_renders_with_its_subject() -> None:
    renderer = MailRenderer(None)
    subjects = {
        name: renderer.render(
            name, to="a@example.com", sender="s@example.com", data={**DATA, "first_name": "Ada"}
        ).subject
        for name in ("password-reset", "user-invitation", "user-registration")
    }

    assert subjects == {
        "password-reset": "Password Reset Request",
        "user-invitation": "You've been invited",
        "user-registration": "Verify your email address",
    }


def test_a_deployment_replaces_a_template_by_file_name(tmp_path: Path) -> None:
    (tmp_path / "user-invitation.liquid").write_text(
        '{% layout "base" %}{% block content %}<p>Custom: <a href="{{ url }}">join {{ projectName }}</a></p>{% endblock %}'
    )

    mail = MailRenderer(tmp_path).render(
        "user-invitation", to="a@example.com", sender="s@example.com", data=DATA
    )
    other = MailRenderer(tmp_path).render(
        "password-reset", to="a@example.com", sender="s@example.com", data=DATA
    )

    assert "Custom:" in mail.html
    assert "join Acme &lt;Corp&gt;" in mail.html
    assert "<!doctype html>" in mail.html  # the built-in layout still wraps it
    assert "Reset your password" in other.html


def test_html_to_text_keeps_links_and_drops_markup() -> None:
    text = html_to_text(
        '<p>Hello <b>you</b></p><p><a href="https://x.test/a?b=1&amp;c=2">Go</a></p><style>p{}</style>'
    )

    assert text == "Hello you\nGo (https://x.test/a?b=1&c=2)\n"
