"""Whether an OpenID provider asserts that the person signed in with more than one factor
(pure). Used only when the provider's ``AUTH_<NAME>_TRUST_MFA`` is true: then such a session
counts as having a second factor for two-factor enforced by the API
(``access/enforcement.py``).

The assertion is read from the verified ID token: ``amr`` (RFC 8176) naming ``mfa``, or
naming two different factor methods (``pwd`` + ``otp``, ``hwk``, ...); or ``acr`` being one of
``AUTH_<NAME>_TRUST_MFA_ACR`` (default: the OpenID PAPE multi-factor policies).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULT_ACR = (
    "http://schemas.openid.net/pape/policies/2007/06/multi-factor",
    "http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical",
)
# RFC 8176 methods, by kind of factor: two different kinds make a multi-factor sign-in.
_KIND = {
    "pwd": "know",
    "pin": "know",
    "kba": "know",
    "otp": "have",
    "hwk": "have",
    "swk": "have",
    "sc": "have",
    "sms": "have",
    "tel": "have",
    "pop": "have",
    "fpt": "are",
    "face": "are",
    "iris": "are",
    "retina": "are",
    "vbm": "are",
}


def asserts_mfa(claims: Mapping[str, Any], acr_values: tuple[str, ...] = DEFAULT_ACR) -> bool:
    amr = claims.get("amr")
    methods = [m for m in amr if isinstance(m, str)] if isinstance(amr, list) else []
    if "mfa" in methods:
        return True
    if len({_KIND[m] for m in methods if m in _KIND}) >= 2:
        return True
    acr = claims.get("acr")
    return isinstance(acr, str) and acr in acr_values
