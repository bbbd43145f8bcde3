"""nginx with the site deploy/nginx/merzim.conf as it ships (only its addresses, ports,
certificate and log paths replaced) and a throw-away self-signed certificate, terminating HTTPS
in front of merzim nodes: what tests/operations/test_proxy_nodes.py and bench/web/proxy.py both start.

No pytest here: the bench imports it too."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.processes import free_port, local

__all__ = ["DEPLOY", "NGINX", "Proxy", "nginx_conf", "self_signed", "site"]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX = Path("/usr/sbin/nginx")


def self_signed(cert: Path, key: Path) -> None:
    """A throw-away certificate for 127.0.0.1 (its name and its address: clients that check it
    trust `cert`), made with openssl, a week's validity."""
    r = subprocess.run([shutil.which("openssl") or "openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "7",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"openssl could not make a certificate:\n{r.stderr}")


def _sub(pattern: str, repl, text: str, count: int) -> str:
    """Replace what `pattern` finds in the site, which must be found exactly `count` times."""
    found = len(re.findall(pattern, text, flags=re.M))
    if found != count:
        raise AssertionError(f"deploy/nginx/merzim.conf: {pattern!r} found {found} times")
    return re.sub(pattern, repl, text, flags=re.M)


def site(node_ports: list[int], https: int, http: int, run: Path) -> str:
    """deploy/nginx/merzim.conf with these nodes, ports, and the certificate and logs in `run`."""
    text = (DEPLOY / "nginx" / "merzim.conf").read_text(encoding="utf-8")
    text = _sub(r"^(\s*)server 127\.0\.0\.1:8000 (.*);$", lambda m: "".join(
        f"{m.group(1)}server 127.0.0.1:{p} {m.group(2)};\n" for p in node_ports).rstrip("\n"),
        text, 1)
    text = _sub(r"^\s*listen \[::\]:(80|443 ssl http2);\n", "", text, 2)
    text = _sub(r"listen 80;", f"listen 127.0.0.1:{http};", text, 1)
    text = _sub(r"listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;", text, 1)
    text = _sub(r"/etc/ssl/merzim/", f"{run}/", text, 2)
    return _sub(r"/var/log/nginx/", f"{run}/", text, 2)


def nginx_conf(run: Path, access_log: bool = True) -> str:
    """The main file Debian's /etc/nginx/nginx.conf would be, in the directory `run`."""
    temp = "\n".join(f"    {kind}_temp_path {run}/{kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    log = f"{run}/access.log" if access_log else "off"
    return f"""daemon off;
worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 256; }}
http {{
{temp}
    access_log {log};
    include {run}/merzim.conf;
}}
"""


class Proxy:
    """nginx in the foreground (as `nobody` when run as root), one worker process, in front of
    the nodes listening on 127.0.0.1 at `node_ports`; `base` is its HTTPS address, `http` its
    plain port, `cert` the certificate a client may trust."""

    def __init__(self, node_ports: list[int], access_log: bool = True):
        self.run = Path(tempfile.mkdtemp(prefix="merzim-nginx-"))  # nobody must reach it
        self.https, self.http = free_port(), free_port()
        self.cert = self.run / "fullchain.pem"
        try:
            self_signed(self.cert, self.run / "privkey.pem")
            (self.run / "merzim.conf").write_text(
                site(node_ports, self.https, self.http, self.run), encoding="utf-8")
            (self.run / "nginx.conf").write_text(nginx_conf(self.run, access_log),
                                                 encoding="utf-8")
            command = [str(NGINX), "-p", str(self.run), "-c", str(self.run / "nginx.conf"),
                       "-e", str(self.run / "error.log")]
            if os.geteuid() == 0:
                for path in [self.run, *self.run.iterdir()]:
                    os.chown(path, 65534, 65534)
                command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           *command]
            test = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
            if test.returncode != 0:
                raise RuntimeError(f"nginx -t refused the configuration:\n{test.stderr}")
        except BaseException:  # nothing left behind
            shutil.rmtree(self.run, ignore_errors=True)
            raise
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.base = f"https://127.0.0.1:{self.https}"
        deadline = time.monotonic() + 30
        while True:
            try:
                local().get(f"{self.base}/healthz", timeout=2)
                return
            except httpx.HTTPError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    errors = self.errors()
                    self.stop()
                    raise RuntimeError(f"nginx did not come up:\n{errors}") from None
                time.sleep(0.2)

    def errors(self) -> str:
        log = self.run / "error.log"
        return log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # nginx's graceful stop
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.run, ignore_errors=True)
