"""deploy/ as an operator uses it (issue 22): the environment file loads in the shell as the README says, and
the gunicorn settings load in gunicorn with the workers the README describes."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
ENV_EXAMPLE = ROOT / "deploy" / "nervecare.env.example"


def test_the_environment_file_loads_in_the_shell_with_every_setting():
    """`set -a; . nervecare.env` (deploy/README.md): a syntax error stops the shell at that line and every
    later setting is silently unset, so each assignment in the file must arrive, with its value."""
    assignments = dict(
        m.groups()
        for line in ENV_EXAMPLE.read_text().splitlines()
        if (m := re.match(r"^([A-Z][A-Z0-9_]*)=(.*)$", line))
    )
    assert len(assignments) > 15
    script = f'set -e; set -a; . "{ENV_EXAMPLE}"; set +a; env -0'
    bash = shutil.which("bash") or "/bin/bash"
    result = subprocess.run([bash, "-c", script], capture_output=True, env={}, timeout=30)  # noqa: S603
    assert result.returncode == 0, result.stderr.decode()
    loaded = dict(item.split("=", 1) for item in result.stdout.decode().split("\0") if "=" in item)
    missing = sorted(set(assignments) - set(loaded))
    assert not missing, f"not set after sourcing: {missing}"
    assert loaded["DEFAULT_FROM_EMAIL"] == "NerveCare <noreply@example.org>"
    assert loaded["LOG_LEVEL"] == "WARNING"  # the last line arrives too


def test_gunicorn_loads_the_settings_one_worker_per_core_per_instance_without_preload():
    probe = (
        "import os, sys; from gunicorn.config import Config; "
        "ns = {}; exec(open(sys.argv[1]).read(), ns); "
        "print(ns['workers'], os.cpu_count(), ns['preload_app'], ns['worker_class'])"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe, str(ROOT / "deploy" / "gunicorn.conf.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    workers, cores, preload, worker_class = result.stdout.split()
    assert workers == cores  # two instances per machine: two per core in all
    assert preload == "False"  # a graceful reload (SIGHUP) must load the new release
    assert worker_class == "sync"
    check = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_nginx_conf_uses_the_syntax_of_debian_12s_nginx():
    """Debian 12 ships nginx 1.22: `http2 on;` (1.25.1+) does not load there; `listen ... http2` does. And one
    Cache-Control header on static files (`expires` writes it; a second add_header would add another)."""
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    directives = [line.split("#", 1)[0].strip() for line in conf.splitlines()]
    assert "http2 on;" not in directives
    assert "listen 443 ssl http2;" in directives
    static = conf[conf.index("location /static/") :]
    static = static[: static.index("}")]
    assert "expires 7d;" in static and "Cache-Control" not in static.split("#")[0]


def _readme_commands() -> list[str]:
    """The shell lines of deploy/README.md's code blocks (comments dropped)."""
    readme = (ROOT / "deploy" / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.S)
    return [line.split(" #", 1)[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_the_readme_steps_run_on_a_fresh_debian_12():
    """Found walking the README on Debian 12 as root: there is no sudo; a home folder made by adduser for the
    service user makes root's later `git fetch` there fail ("dubious ownership"); the first clinic is created
    with `nervecare clinic create`; nginx needs a certificate before `nginx -t` passes."""
    lines = _readme_commands()
    assert not any(re.search(r"\bsudo\b", line) for line in lines)
    adduser = next(line for line in lines if line.startswith("adduser"))
    assert "--no-create-home" in adduser
    create = " ".join(lines[lines.index(next(x for x in lines if "nervecare clinic create" in x)) :][:4])
    for option in ("--name", "--timezone", "--admin-username", "--admin-email"):
        assert option in create
    assert any(line.startswith("openssl req -x509") for line in lines)
    order = [i for i, line in enumerate(lines) if "nginx -t" in line or "openssl req" in line]
    assert order and "openssl" in lines[order[0]]  # the certificate exists before nginx -t


def test_deploy_check_still_matches_the_shipped_nginx_conf():
    """deploy/check tests nginx.conf itself, substituting a few strings: each must still be there."""
    script = (ROOT / "deploy" / "check.py").read_text()
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    block = script[script.index("for old, new in (") : script.index("):\n            if old not in conf")]
    olds = re.findall(r'\(\s*"([^"]+)",', block)
    assert len(olds) >= 8
    for old in olds:
        assert old in conf, old
