"""A real SAML 2.0 Identity Provider for the SAML tests: Debian's SimpleSAMLphp (1.19), run by
PHP's built-in web server on a free 127.0.0.1 port, configured in a temporary directory.

``SamlIdp.create(tmp)`` generates the IdP's RSA key pair and self-signed certificate, writes
``config.php`` (sessions, logs and caches in the temporary directory), ``authsources.php`` (the
``exampleauth:UserPass`` source, whose users are read from ``users.json`` at every request) and
the IdP's hosted metadata, then starts ``php -S``. The service providers the IdP will answer
are read from ``sps.json`` at every request too, so tests register their own SPs
(``register_sp``) and accounts (``add_user``) while the server runs.

Accounts carry the attributes Directus's SAML driver reads by default (the
``http://schemas.xmlsoap.org/ws/2005/05/identity/claims/*`` names). The IdP signs assertions
(and, per SP, whole responses) with RSA-SHA256, as SimpleSAMLphp does by default.

Nothing here touches the system's SimpleSAMLphp configuration (/etc/simplesamlphp) or Apache.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

SSP_ROOT = Path("/usr/share/simplesamlphp")
CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
IDENTIFIER = CLAIMS + "nameidentifier"
EMAIL = CLAIMS + "emailaddress"
GIVEN_NAME = CLAIMS + "givenname"
SURNAME = CLAIMS + "surname"
START_TIMEOUT = 20.0


def php_binary() -> str | None:
    return shutil.which("php")


def installed() -> list[str]:
    """What is missing to run this peer (empty when everything is there)."""
    missing = []
    if php_binary() is None:
        missing.append("php (php-cli)")
    if not (SSP_ROOT / "www" / "saml2" / "idp" / "SSOService.php").is_file():
        missing.append("simplesamlphp")
    return missing


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class KeyPair:
    """An RSA key and a self-signed certificate, as PEM text."""

    key_pem: str
    cert_pem: str

    @property
    def cert_base64(self) -> str:
        """The certificate's DER in base64, as SAML metadata carries it."""
        lines = self.cert_pem.strip().splitlines()
        return "".join(line for line in lines if not line.startswith("-----"))


def make_key_pair(common_name: str) -> KeyPair:
    now = datetime.datetime.now(datetime.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        cert.public_bytes(serialization.Encoding.PEM).decode(),
    )


def _php_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _config_php(folder: Path, base_url: str) -> str:
    paths = {name: _php_string(str(folder / name) + "/") for name in ("cert", "log", "data")}
    return f"""<?php
$config = [
    'baseurlpath' => {_php_string(base_url + "/")},
    'certdir' => {paths["cert"]},
    'loggingdir' => {paths["log"]},
    'datadir' => {paths["data"]},
    'tempdir' => {_php_string(str(folder / "tmp"))},
    'metadatadir' => {_php_string(str(folder / "metadata") + "/")},
    'attributenamemapdir' => '/etc/simplesamlphp/attributemap/',
    'technicalcontact_name' => 'authgate tests',
    'technicalcontact_email' => 'tests@example.test',
    'timezone' => 'UTC',
    'secretsalt' => {_php_string(secrets.token_hex(16))},
    'auth.adminpassword' => {_php_string(secrets.token_hex(16))},
    'admin.protectindexpage' => false,
    'admin.protectmetadata' => false,
    'admin.checkforupdates' => false,
    'enable.saml20-idp' => true,
    'showerrors' => true,
    'errorreporting' => false,
    'logging.level' => SimpleSAML\\Logger::DEBUG,
    'logging.handler' => 'file',
    'logging.logfile' => 'simplesamlphp.log',
    'debug' => ['saml' => false, 'backtraces' => true, 'validatexml' => false],
    'module.enable' => ['exampleauth' => true, 'core' => true, 'saml' => true],
    'session.cookie.secure' => false,
    'session.cookie.samesite' => null,
    'language.cookie.secure' => false,
    'store.type' => 'phpsession',
    'session.phpsession.savepath' => {_php_string(str(folder / "sessions"))},
    'metadata.sources' => [['type' => 'flatfile']],
    'production' => false,
];
"""


_AUTHSOURCES = """<?php
// Users come from users.json, read at every request, so the tests can add accounts.
$users = [];
foreach (json_decode(file_get_contents(__DIR__ . '/users.json'), true) as $login => $user) {
    $users[$login . ':' . $user['password']] = $user['attributes'];
}
$config = [
    'admin' => ['core:AdminPassword'],
    'users' => array_merge(['exampleauth:UserPass'], $users),
];
"""

_IDP_HOSTED = """<?php
$metadata['__DYNAMIC:1__'] = [
    'host' => '__DEFAULT__',
    'privatekey' => 'idp.key',
    'certificate' => 'idp.crt',
    'auth' => 'users',
    'signature.algorithm' => 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    'saml20.sign.assertion' => true,
    'SingleLogoutServiceBinding' => ['urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect'],
    'attributes.NameFormat' => 'urn:oasis:names:tc:SAML:2.0:attrname-format:uri',
];
"""

_SP_REMOTE = """<?php
// Service providers come from sps.json, read at every request, so tests register their own.
foreach (json_decode(file_get_contents(dirname(__DIR__) . '/config/sps.json'), true) as $id => $sp) {
    $metadata[$id] = $sp;
}
"""


@dataclass
class SamlIdp:
    folder: Path
    port: int
    keys: KeyPair
    process: subprocess.Popen[bytes] | None = None
    users: dict[str, Any] = field(default_factory=dict)
    sps: dict[str, Any] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/saml2/idp/metadata.php"

    @property
    def sso_url(self) -> str:
        return f"{self.base_url}/saml2/idp/SSOService.php"

    @property
    def config_dir(self) -> Path:
        return self.folder / "config"

    @classmethod
    def create(cls, folder: Path) -> SamlIdp:
        for name in ("config", "metadata", "cert", "log", "data", "tmp", "sessions"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        keys = make_key_pair("authgate test IdP")
        (folder / "cert" / "idp.key").write_text(keys.key_pem)
        (folder / "cert" / "idp.crt").write_text(keys.cert_pem)
        idp = cls(folder, free_port(), keys)
        (folder / "config" / "config.php").write_text(_config_php(folder, idp.base_url))
        (folder / "config" / "authsources.php").write_text(_AUTHSOURCES)
        (folder / "metadata" / "saml20-idp-hosted.php").write_text(_IDP_HOSTED)
        (folder / "metadata" / "saml20-sp-remote.php").write_text(_SP_REMOTE)
        idp._save()
        idp.start()
        return idp

    def _write_json(self, name: str, value: Any) -> None:
        path = self.config_dir / name
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(value or {}, indent=1))
        os.replace(temporary, path)  # the PHP server never reads a half-written file

    def _save(self) -> None:
        self._write_json("users.json", self.users)
        self._write_json("sps.json", self.sps)

    def start(self) -> None:
        php = php_binary()
        assert php is not None
        assert self.process is None
        env = {
            "PATH": os.environ.get("PATH", ""),
            "SIMPLESAMLPHP_CONFIG_DIR": str(self.config_dir),
            # The built-in server handles requests one at a time unless told otherwise.
            "PHP_CLI_SERVER_WORKERS": "4",
        }
        with (self.folder / "php.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    php,
                    "-d",
                    f"session.save_path={self.folder / 'sessions'}",
                    "-d",
                    "display_errors=stderr",
                    "-S",
                    f"127.0.0.1:{self.port}",
                    "-t",
                    str(SSP_ROOT / "www"),
                ],
                cwd=self.folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: the server forks workers, stopped with it.
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the SimpleSAMLphp server exited:\n{self.log()}")
            try:
                response = httpx.get(self.entity_id, timeout=2)
                if response.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"SimpleSAMLphp did not start:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        group = self.process.pid  # the group this fixture created for the server
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def log(self) -> str:
        parts = []
        for path in (self.folder / "php.log", self.folder / "log" / "simplesamlphp.log"):
            if path.exists():
                parts.append(path.read_text(errors="replace")[-3000:])
        return "\n".join(parts)

    # ---------------------------------------------------------------------- test data

    def metadata(self) -> str:
        """The IdP's metadata XML, as SimpleSAMLphp publishes it."""
        response = httpx.get(self.entity_id, timeout=10)
        response.raise_for_status()
        return response.text

    def add_user(self, login: str, password: str, **attributes: list[str] | str) -> None:
        """An account; attribute values may be given as one string or a list."""
        values = {
            name: value if isinstance(value, list) else [value]
            for name, value in attributes.items()
        }
        self.users[login] = {"password": password, "attributes": values}
        self._save()

    def register_sp(
        self,
        entity_id: str,
        acs_url: str,
        *,
        slo_url: str | None = None,
        sign_response: bool = False,
        sign_assertion: bool = True,
        request_signing_cert: str | None = None,
        **extra: Any,
    ) -> None:
        """A service provider the IdP answers (SimpleSAMLphp ``saml20-sp-remote`` keys)."""
        sp: dict[str, Any] = {
            "AssertionConsumerService": [
                {
                    "Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                    "Location": acs_url,
                    "index": 0,
                }
            ],
            "saml20.sign.response": sign_response,
            "saml20.sign.assertion": sign_assertion,
            "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
            "sign.logout": True,  # logout requests to the SP are signed (redirect binding)
            **extra,
        }
        if slo_url:
            sp["SingleLogoutService"] = [
                {
                    "Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                    "Location": slo_url,
                }
            ]
        if request_signing_cert:
            sp["validate.authnrequest"] = True
            sp["validate.logout"] = True
            sp["certData"] = request_signing_cert
        self.sps[entity_id] = sp
        self._save()
