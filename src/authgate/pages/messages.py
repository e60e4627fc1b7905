"""What the pages tell people, as pure functions: an API error in words for the form that
got it, the fixed notices shown after a redirect, and the password policy in plain language.

No text here ever says whether an account exists: a refused sign-in reads the same for an
unknown address, a wrong password, a suspended or a locked account.
"""

from __future__ import annotations

from typing import Literal

from authgate.errors import AuthError, Code

Form = Literal["login", "otp", "link", "invite", "register", "account", "tfa", "admin"]

# Directus's two preset policies (its Data Studio offers them by name).
WEAK_POLICY = "/^.{8,}$/"
STRONG_POLICY = (
    "/(?=^.{8,}$)(?=.*\\d)(?=.*[a-z])(?=.*[A-Z])(?=.*[!@#$%^&*()_+}{';'?>.<,])(?!.*\\s).*$/"
)

SIGN_IN_REFUSED = (
    "Those details did not work. Check the email address and password. An account can also be "
    "unable to sign in for a while (for example after too many attempts): if it keeps "
    "happening, reset your password or ask an administrator."
)
WRONG_CODE = (
    "That code did not work. Codes change every 30 seconds and each one works only once: "
    "wait for the next code and try again."
)
BAD_LINK = "This link is not valid any more (it was already used, or replaced by a newer one)."
EXPIRED_LINK = "This link has expired."


def describe_policy(policy: str | None) -> str | None:
    """The password policy as a sentence; ``None`` when there is none."""
    if not policy:
        return None
    if policy == WEAK_POLICY:
        return "at least 8 characters"
    if policy == STRONG_POLICY:
        return (
            "at least 8 characters, with a lower-case and an upper-case letter, a digit and a "
            "special character, and no spaces"
        )
    return f"it must match the pattern {policy}"


def retry_after(error: AuthError) -> str:
    seconds = error.headers.get("Retry-After")
    if seconds and seconds.isdigit():
        return f" Try again in {seconds} seconds."
    return " Try again in a minute."


def describe(error: AuthError, form: Form, policy: str | None = None) -> str:
    """The sentence a person reads for ``error`` raised by the service behind ``form``."""
    code = error.code
    if code == Code.REQUESTS_EXCEEDED:
        return "Too many requests from your network." + retry_after(error)
    if code == Code.SERVICE_UNAVAILABLE:
        return "The server is busy right now." + retry_after(error)
    if code == Code.INVALID_OTP or (code == Code.INVALID_PAYLOAD and "otp" in error.message):
        return WRONG_CODE
    if code == Code.FAILED_VALIDATION:
        return _validation(error, policy)
    return _by_form(error, form)


def _validation(error: AuthError, policy: str | None) -> str:
    field = error.extensions.get("field")
    if field == "password":
        described = describe_policy(policy)
        if described:
            return f"This password does not meet the password policy: {described}."
        return "This password does not meet the password policy."
    if field == "email":
        return "Enter a valid email address."
    if field == "auth_password_policy":
        return "The custom password policy is not a valid regular expression."
    return error.message


_FORM_TEXTS: dict[tuple[Form | None, Code], str] = {
    ("login", Code.INVALID_CREDENTIALS): SIGN_IN_REFUSED,
    ("otp", Code.INVALID_CREDENTIALS): SIGN_IN_REFUSED,
    ("login", Code.USER_SUSPENDED): SIGN_IN_REFUSED,
    ("login", Code.INVALID_PAYLOAD): "Enter your email address and password.",
    ("link", Code.TOKEN_EXPIRED): EXPIRED_LINK,
    ("link", Code.INVALID_TOKEN): BAD_LINK,
    ("link", Code.FORBIDDEN): BAD_LINK,
    ("invite", Code.TOKEN_EXPIRED): "This invitation has expired. Ask for a new one.",
    ("invite", Code.INVALID_TOKEN): "This invitation link is not valid.",
    ("invite", Code.FORBIDDEN): "This invitation link is not valid.",
    ("invite", Code.INVALID_INVITE): (
        "This invitation is no longer valid: it was already accepted, or withdrawn."
    ),
    ("register", Code.FORBIDDEN): "Registration is not open for this email address.",
    ("register", Code.INVALID_PAYLOAD): "Enter a valid email address and a password.",
    ("tfa", Code.INVALID_CREDENTIALS): "That password is not right.",
    (None, Code.INVALID_CREDENTIALS): "Your session has ended. Sign in again.",
    (None, Code.TOKEN_EXPIRED): "Your session has ended. Sign in again.",
    (None, Code.USER_SUSPENDED): "This account is suspended. Ask an administrator.",
    (None, Code.FORBIDDEN): "You don't have permission to do this.",
    (None, Code.RECORD_NOT_UNIQUE): "That email address can't be used. Choose another one.",
    (None, Code.INVALID_FOREIGN_KEY): "The selected role or policy doesn't exist any more.",
    (None, Code.UNPROCESSABLE_CONTENT): (
        "This change would leave the project without an active administrator."
    ),
    (None, Code.INVALID_PROVIDER): (
        "This account is linked to another sign-in method. Use the button for it."
    ),
    (None, Code.INVALID_PROVIDER_CONFIG): "This sign-in method is not set up correctly.",
    (None, Code.ROUTE_NOT_FOUND): "There is no page here.",
}


def _by_form(error: AuthError, form: Form) -> str:
    text = _FORM_TEXTS.get((form, error.code)) or _FORM_TEXTS.get((None, error.code))
    if text is not None:
        return text
    reason = error.extensions.get("reason")
    return str(reason) if reason else error.message


# Codes an SSO provider may put in ``?reason=`` when it sends the browser back.
SSO_REASONS: dict[str, str] = {
    Code.INVALID_CREDENTIALS.value: "Signing in with that provider did not work.",
    Code.INVALID_PROVIDER.value: _FORM_TEXTS[(None, Code.INVALID_PROVIDER)],
    Code.INVALID_PROVIDER_CONFIG.value: _FORM_TEXTS[(None, Code.INVALID_PROVIDER_CONFIG)],
    Code.USER_SUSPENDED.value: _FORM_TEXTS[(None, Code.USER_SUSPENDED)],
    Code.INVALID_OTP.value: WRONG_CODE,
    Code.FORBIDDEN.value: "That account may not sign in here.",
    Code.SERVICE_UNAVAILABLE.value: "The sign-in provider did not answer. Try again later.",
    Code.INVALID_TOKEN.value: "The sign-in took too long or was interrupted. Try again.",
}

# ``?notice=`` after a redirect: a fixed key, never text taken from the address.
NOTICES: dict[str, str] = {
    "signed-out": "You are signed out.",
    "password-reset": "Your password is changed. Sign in with the new one.",
    "invite-accepted": "Your account is ready. Sign in with your new password.",
    "reset-sent": (
        "If an account uses that address, a message with a link to choose a new password is on "
        "its way. The link works once."
    ),
    "registered": (
        "Thanks! If the address can be registered, a message to confirm it is on its way "
        "(or, when no confirmation is needed, you can sign in now)."
    ),
    "session-ended": "Your session has ended. Sign in again.",
    "profile-saved": "Your profile is saved.",
    "email-changed": "Your email address is changed.",
    "password-changed": "Your password is changed. Your other sessions were signed out.",
    "tfa-enabled": "Two-factor authentication is on.",
    "tfa-disabled": "Two-factor authentication is off.",
    "tfa-required": "Your role requires two-factor authentication: set it up to continue.",
    "token-removed": "Your static token is removed.",
    "passkey-added": "The passkey is added. You can sign in with it.",
    "passkey-removed": "The passkey is removed.",
    "other-session-ended": "That session is ended: its tokens no longer work.",
    "session-gone": "That session had already ended.",
    "sessions-ended": "Every other session is ended; this one goes on.",
    "key-revoked": "The API key is revoked: it no longer works.",
    "key-gone": "That API key was already revoked.",
    "identity-unlinked": "The sign-in provider is unlinked.",
    "user-created": "The user is created.",
    "user-invited": "The invitation is sent.",
    "user-updated": "The user is updated.",
    "role-created": "The role is created.",
    "role-updated": "The role is updated.",
    "policy-created": "The policy is created.",
    "settings-saved": "The settings are saved.",
}


# Directus stores a few names and descriptions as keys of its app's translations.
_TRANSLATED = {
    "$t:public_label": "Public",
    "$t:public_description": "What anyone may do without signing in.",
    "$t:admin_description": "Full access to everything, without permission checks.",
}


def display_text(value: str | None) -> str:
    """A role's or policy's name or description as a person should read it."""
    if not value:
        return ""
    if value in _TRANSLATED:
        return _TRANSLATED[value]
    if value.startswith("$t:"):
        return value[3:].replace("_", " ").capitalize()
    return value
