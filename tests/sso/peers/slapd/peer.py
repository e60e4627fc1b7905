"""A real OpenLDAP server (Debian's ``slapd``) for the LDAP tests, run by the test suite itself.

``Slapd.create(tmp)`` writes a ``slapd.conf`` (mdb database, the core/cosine/inetorgperson/nis
schemas, ACLs: the service account reads everything, users may bind and read themselves,
anonymous may only bind), a CA and a server certificate for ``ldaps://``, loads the base
entries with ``slapadd`` and starts ``slapd`` in the foreground on two free 127.0.0.1 ports
(``ldap://`` and ``ldaps://``). ``stop()``/``start()`` restart it on the same ports and data
(the "server restarted under the client" test). Entries are added and changed over the wire
with ``ldapadd``/``ldapmodify`` (from ``ldap-utils``) as the root DN.

Nothing here touches the system's slapd service or /etc/ldap (only its schema files are read).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import secrets
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

BASE_DN = "dc=example,dc=test"
ROOT_DN = f"cn=admin,{BASE_DN}"
PEOPLE_DN = f"ou=people,{BASE_DN}"
GROUPS_DN = f"ou=groups,{BASE_DN}"
SERVICE_DN = f"cn=authgate,ou=services,{BASE_DN}"
SERVICE_PASSWORD = "service-secret"  # the fixture's own throwaway directory
SCHEMAS = ("core", "cosine", "inetorgperson", "nis")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")
START_TIMEOUT = 15.0
TOOL_TIMEOUT = 15.0


def binaries() -> dict[str, str | None]:
    """Where the programs this peer needs are (``None`` when missing)."""
    names = ("slapd", "slapadd", "ldapadd", "ldapmodify", "ldapdelete")
    found = {name: shutil.which(name) for name in names}
    if found["slapd"] is None and Path("/usr/sbin/slapd").exists():
        found["slapd"] = "/usr/sbin/slapd"
    if found["slapadd"] is None and Path("/usr/sbin/slapadd").exists():
        found["slapadd"] = "/usr/sbin/slapadd"
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def ssha(password: str) -> str:
    """``{SSHA}`` as slapd stores it: base64(SHA-1(password + salt) + salt)."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt, usedforsecurity=False).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


@dataclass(frozen=True)
class Tls:
    ca_pem: str
    ca_path: Path
    cert_path: Path
    key_path: Path


def make_tls(folder: Path, host: str = "127.0.0.1") -> Tls:
    """A throwaway CA and a server certificate for ``host`` (an IP SAN)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "authgate test LDAP CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_pem = ca.public_bytes(serialization.Encoding.PEM).decode()
    paths = Tls(ca_pem, folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths.ca_path.write_text(ca_pem)
    paths.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def _config(folder: Path, tls: Tls, root_password: str) -> str:
    includes = "\n".join(f"include {SCHEMA_DIR / name}.schema" for name in SCHEMAS)
    return f"""{includes}
pidfile {folder / "slapd.pid"}
argsfile {folder / "slapd.args"}
modulepath {MODULE_DIR}
moduleload back_mdb
loglevel stats
TLSCACertificateFile {tls.ca_path}
TLSCertificateFile {tls.cert_path}
TLSCertificateKeyFile {tls.key_path}

database mdb
maxsize 16777216
suffix "{BASE_DN}"
rootdn "{ROOT_DN}"
rootpw {ssha(root_password)}
directory {folder / "data"}
access to attrs=userPassword
  by self read
  by anonymous auth
  by * none
access to *
  by dn.exact="{SERVICE_DN}" read
  by self read
  by * none
"""


BASE_LDIF = f"""dn: {BASE_DN}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: {PEOPLE_DN}
objectClass: organizationalUnit
ou: people

dn: {GROUPS_DN}
objectClass: organizationalUnit
ou: groups

dn: ou=services,{BASE_DN}
objectClass: organizationalUnit
ou: services

dn: {SERVICE_DN}
objectClass: person
cn: authgate
sn: service
userPassword: {{SERVICE_PASSWORD}}
"""


@dataclass
class Slapd:
    folder: Path
    port: int
    tls_port: int
    tls: Tls
    root_password: str
    tools: dict[str, str | None]
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.folder / "slapd.log"

    # ----------------------------------------------------------------------- lifecycle

    @classmethod
    def create(cls, folder: Path) -> Slapd:
        tools = binaries()
        (folder / "data").mkdir(parents=True, exist_ok=True)
        tls = make_tls(folder)
        root_password = secrets.token_urlsafe(12)
        conf = folder / "slapd.conf"
        conf.write_text(_config(folder, tls, root_password))
        ldif = BASE_LDIF.replace("{SERVICE_PASSWORD}", ssha(SERVICE_PASSWORD))
        slapadd = tools["slapadd"]
        assert slapadd is not None
        subprocess.run(
            [slapadd, "-f", str(conf), "-b", BASE_DN],
            input=ldif.encode(),
            check=True,
            capture_output=True,
            timeout=TOOL_TIMEOUT,
        )
        server = cls(folder, free_port(), free_port(), tls, root_password, tools)
        server.start()
        return server

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def tls_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    def start(self) -> None:
        slapd = self.tools["slapd"]
        assert slapd is not None
        assert self.process is None
        urls = f"{self.url}/ {self.tls_url}/"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                # -d: stay in the foreground (the fixture owns the process), log to stderr.
                [slapd, "-d", "stats", "-f", str(self.folder / "slapd.conf"), "-h", urls],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited:\n{self.log()}")
            if _accepts(self.port) and _accepts(self.tls_port):
                return
            time.sleep(0.02)
        raise RuntimeError(f"slapd did not start:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def log_text(self) -> str:
        """Everything slapd logged (``stats``: connections, binds, searches, results)."""
        return self.log_path.read_text(errors="replace")

    def log(self) -> str:
        return self.log_text()[-4000:]

    # -------------------------------------------------------------------------- entries

    def _tool(self, name: str, ldif: str, *extra: str) -> None:
        program = self.tools[name]
        assert program is not None
        command = [program, "-x", "-H", self.url, "-D", ROOT_DN, "-w", self.root_password]
        subprocess.run(
            [*command, *extra],
            input=ldif.encode(),
            check=True,
            capture_output=True,
            timeout=TOOL_TIMEOUT,
        )

    def add(self, ldif: str) -> None:
        self._tool("ldapadd", ldif)

    def modify(self, ldif: str) -> None:
        self._tool("ldapmodify", ldif)

    def delete(self, dn: str) -> None:
        self._tool("ldapdelete", "", dn)

    def add_user(
        self,
        uid: str,
        password: str,
        *,
        cn: str | None = None,
        given_name: str | None = None,
        sn: str = "Tester",
        mail: str | None = None,
        parent: str = PEOPLE_DN,
    ) -> str:
        """An ``inetOrgPerson`` (with a ``posixAccount``-free ``uid``); returns its DN."""
        dn = f"uid={uid},{parent}"
        lines = [
            f"dn: {dn}",
            "objectClass: inetOrgPerson",
            f"uid: {uid}",
            f"cn: {cn or uid}",
            f"sn: {sn}",
            f"userPassword: {ssha(password)}",
        ]
        if given_name:
            lines.append(f"givenName: {given_name}")
        if mail:
            lines.append(f"mail: {mail}")
        self.add("\n".join(lines) + "\n")
        return dn

    def add_group(self, cn: str, members: list[str]) -> str:
        """A ``groupOfNames`` under ``ou=groups`` with member DNs."""
        dn = f"cn={cn},{GROUPS_DN}"
        lines = [f"dn: {dn}", "objectClass: groupOfNames", f"cn: {cn}"]
        lines += [f"member: {member}" for member in members]
        self.add("\n".join(lines) + "\n")
        return dn

    def add_posix_group(self, cn: str, member_uids: list[str], parent: str) -> str:
        """A ``posixGroup`` (members by ``memberUid``) under ``parent``."""
        dn = f"cn={cn},{parent}"
        lines = [f"dn: {dn}", "objectClass: posixGroup", f"cn: {cn}", "gidNumber: 5000"]
        lines += [f"memberUid: {uid}" for uid in member_uids]
        self.add("\n".join(lines) + "\n")
        return dn

    def add_ou(self, ou: str, parent: str = BASE_DN) -> str:
        dn = f"ou={ou},{parent}"
        self.add(f"dn: {dn}\nobjectClass: organizationalUnit\nou: {ou}\n")
        return dn

    def replace(self, dn: str, attribute: str, value: str) -> None:
        self.modify(f"dn: {dn}\nchangetype: modify\nreplace: {attribute}\n{attribute}: {value}\n")

    def add_value(self, dn: str, attribute: str, value: str) -> None:
        self.modify(f"dn: {dn}\nchangetype: modify\nadd: {attribute}\n{attribute}: {value}\n")


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
