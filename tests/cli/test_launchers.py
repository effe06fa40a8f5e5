"""Scale-out launchers for real, on this machine: Ray (a private local Ray on 127.0.0.1) and
submitit_local. Optional: skipped when the `ray` / `slurm` extras are not installed."""

from __future__ import annotations

import contextlib
import importlib.util
import ipaddress
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from simrl.config.launchers import LOOPBACK_ENV, apply_loopback_env, is_local_ray

from .conftest import TINY, only_sweep_dir, run_cli, summary

HAS_RAY = (
    importlib.util.find_spec("hydra_plugins.hydra_ray_launcher") is not None
    and importlib.util.find_spec("ray") is not None
)
# Ray's processes by a piece of their command line or process title (first match wins)
RAY_ROLES = (
    ("gcs_server", "gcs_server"),
    ("raylet/raylet", "raylet"),
    ("ray::DashboardAgent", "dashboard agent"),
    ("dashboard/agent.py", "dashboard agent"),
    ("ray::RuntimeEnvAgent", "runtime env agent"),
    ("runtime_env/agent/main.py", "runtime env agent"),
    ("dashboard/dashboard.py", "dashboard head"),
    ("log_monitor.py", "log monitor"),
    ("monitor.py", "autoscaler monitor"),
    ("default_worker.py", "worker"),
    ("ray::", "worker"),
)
# Ray's servers that must have been seen listening (on loopback) for the check to mean anything
EXPECTED_LISTENERS = {
    "driver",
    "gcs_server",
    "raylet",
    "worker",
    "dashboard agent",
    "runtime env agent",
}
# Ray services that cannot be bound to loopback: none (Ray 2.60 with hydra/launcher=ray_local)
NOT_LOOPBACK_ALLOWED: set[str] = set()
DASHBOARD_PORT = 8265  # Ray's web UI; must stay off
PROC_TIMEOUT_S = 600  # the sweep
EXIT_TIMEOUT_S = 30  # Ray's processes to go after simrl-train exits


def _children() -> dict[int, list[int]]:
    """Parent pid -> child pids of every process now (from /proc/<pid>/stat)."""
    out: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat:
                out.setdefault(int(stat[1]), []).append(int(entry.name))
    return out


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat from the state field on ([state, ppid, ...]); [] once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return text[text.rindex(")") + 2 :].split()


def _identity(pid: int) -> tuple[int, str] | None:
    """(pid, start time): tells a process from a later one that reuses its pid."""
    stat = _stat(pid)
    return (pid, stat[19]) if stat else None


def _alive(ident: tuple[int, str]) -> bool:
    stat = _stat(ident[0])
    return bool(stat) and stat[19] == ident[1] and stat[0] not in ("Z", "X")


def _tree(root: int) -> list[int]:
    """`root` and all of its descendants now."""
    children, out = _children(), [root]
    for pid in out:
        out.extend(children.get(pid, []))
    return out


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def _decode(hex_addr: str) -> tuple[str, int]:
    """`0100007F:1F90` (/proc/net/tcp) -> ("127.0.0.1", 8080); IPv6 likewise."""
    ip_hex, port_hex = hex_addr.split(":")
    raw = bytes.fromhex(ip_hex)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))  # host-order words
    family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, words), int(port_hex, 16)


def _listeners(pid: int) -> set[tuple[str, str, int]]:
    """(protocol, ip, port) of the TCP sockets in LISTEN and the bound UDP sockets that `pid`
    holds: its socket inodes (/proc/<pid>/fd) looked up in /proc/<pid>/net/{tcp,tcp6,udp,udp6}."""
    inodes = set()
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        try:
            rows = Path(f"/proc/{pid}/net/{proto}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if inode not in inodes or (proto.startswith("tcp") and state != "0A"):  # 0A: LISTEN
                continue
            ip, port = _decode(local)
            if proto.startswith("udp") and port == 0:
                continue  # not bound
            found.add((proto, ip, port))
    return found


def _is_loopback(ip: str) -> bool:
    """127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.0.0.1, how gRPC listens on it)."""
    addr = ipaddress.ip_address(ip)
    mapped = getattr(addr, "ipv4_mapped", None)
    return addr.is_loopback or bool(mapped and mapped.is_loopback)


class _Watch:
    """The processes of one tree seen so far (with their command lines) and the sockets they
    listened on, from repeated scans of /proc."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.seen: set[tuple[int, str]] = set()
        self.cmdlines: dict[int, set[str]] = {}
        self.listening: dict[tuple[str, str, int], set[int]] = {}  # (proto, ip, port) -> pids

    def scan(self) -> None:
        for pid in _tree(self.root):
            ident = _identity(pid)
            if ident is None:
                continue
            self.seen.add(ident)
            self.cmdlines.setdefault(pid, set()).add(_cmdline(pid))
            for sock in _listeners(pid):
                self.listening.setdefault(sock, set()).add(pid)

    def table(self) -> list[tuple[str, int, str, str, int]]:
        """(role, pid, proto, ip, port) of every listening socket seen."""
        rows = []
        for (proto, ip, port), pids in sorted(self.listening.items()):
            for pid in sorted(pids):
                rows.append((self._role(pid), pid, proto, ip, port))
        return rows

    def _role(self, pid: int) -> str:
        if pid == self.root:
            return "driver"
        cmdlines = self.cmdlines.get(pid) or {""}
        for key, role in RAY_ROLES:
            if any(key in c for c in cmdlines):
                return role
        return "other: " + min(cmdlines, key=len)[:60]


def _processes_naming(text: str) -> set[tuple[int, str]]:
    """Live processes whose command line holds `text`: this test's Ray temp dir finds its Ray
    daemons even once they no longer descend from simrl-train."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and text in _cmdline(int(entry.name)):
            ident = _identity(int(entry.name))
            if ident and _alive(ident):
                found.add(ident)
    return found


def _stop_leftovers(started: set[tuple[int, str]], marker: str) -> dict[int, str]:
    """Wait up to EXIT_TIMEOUT_S for the processes this test started (`started`, and those naming
    `marker`) to exit, SIGKILL the rest; return {pid: command line} of those that had to be
    killed."""
    deadline = time.monotonic() + EXIT_TIMEOUT_S
    left = {i for i in started if _alive(i)} | _processes_naming(marker)
    while left and time.monotonic() < deadline:  # Ray stops its daemons once its driver is gone
        time.sleep(0.2)
        left = {i for i in left if _alive(i)} | _processes_naming(marker)
    killed = {i[0]: _cmdline(i[0])[:120] for i in left}
    for ident in left:
        if _alive(ident):
            try:
                os.kill(ident[0], signal.SIGKILL)
            except OSError:
                pass
    return killed


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.skipif(not HAS_RAY, reason="needs the ray extra: pip install 'simrl[ray]'")
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="the socket and process checks read /proc")
def test_ray_local_listens_on_loopback_only_and_cleans_up(tmp_path):
    """A `hydra/launcher=ray_local` sweep: while it runs, every TCP/UDP socket that its processes
    (simrl-train and all of its descendants: Ray's daemons, agents and workers) listen on is on
    loopback; both runs complete; afterwards none of those processes is left running."""
    ray_tmp = tempfile.mkdtemp(prefix="simrl-ray-")  # short: Ray's socket paths must stay < 108
    home = tmp_path / "home"  # Ray's token (~/.ray/auth_token; token auth stays on)
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in LOOPBACK_ENV and k != "RAY_ADDRESS"}
    env.update(
        HOME=str(home),
        MUJOCO_GL=os.environ.get("MUJOCO_GL", "egl"),
        RAY_USAGE_STATS_ENABLED="0",
    )
    command = [
        sys.executable,
        "-m",
        "simrl.cli.train",
        "-m",
        "hydra/launcher=ray_local",
        f"+hydra.launcher.ray.init._temp_dir={ray_tmp}",
        "seed=0,1",
        *TINY,
    ]
    stdout, stderr = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with stdout.open("w") as out, stderr.open("w") as err:
        proc = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=out, stderr=err)
    watch = _Watch(proc.pid)
    try:
        deadline = time.monotonic() + PROC_TIMEOUT_S
        while proc.poll() is None:  # scan until simrl-train exits
            assert time.monotonic() < deadline, f"sweep still running after {PROC_TIMEOUT_S}s"
            watch.scan()
            time.sleep(0.1)
    finally:
        if proc.poll() is None:  # failed or timed out: stop the sweep, then its Ray
            with contextlib.suppress(Exception):
                watch.scan()  # to know its processes
            proc.kill()
            proc.wait()
        killed = _stop_leftovers(watch.seen, ray_tmp)
        shutil.rmtree(ray_tmp, ignore_errors=True)

    assert proc.returncode == 0, stderr.read_text()[-3000:]
    assert not killed, f"processes left running after the sweep (killed now): {killed}"
    table = watch.table()
    report = "\n".join(f"{r:<18} pid {p:<7} {pr:<4} {ip}:{port}" for r, p, pr, ip, port in table)
    exposed = [t for t in table if not _is_loopback(t[3]) and t[0] not in NOT_LOOPBACK_ALLOWED]
    assert not exposed, f"listening beyond loopback:\n{report}"
    roles = {t[0] for t in table}
    assert EXPECTED_LISTENERS <= roles, f"missing {EXPECTED_LISTENERS - roles}:\n{report}"
    assert DASHBOARD_PORT not in {t[4] for t in table}, f"the dashboard is on:\n{report}"
    print(f"listening sockets of the sweep's processes:\n{report}")
    assert "'address': 'local'" in stdout.read_text() + stderr.read_text()  # launcher's ray.init
    sweep = only_sweep_dir(tmp_path)
    for seed in (0, 1):
        s = summary(sweep / f"seed={seed}")
        assert (s["status"], s["seed"], s["env_steps"]) == ("completed", seed, 800)
        assert s["num_threads"] == 1  # ray remote num_cpus=1 -> one torch thread per run


def test_ray_loopback_applies_to_a_new_local_ray_only():
    """The ray_loopback callback's rule: set RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 for a Ray launcher
    that starts a new local Ray, leave other launchers and existing clusters alone."""
    ray = "hydra_plugins.hydra_ray_launcher.ray_launcher.RayLauncher"
    local = OmegaConf.create({"_target_": ray, "ray": {"init": {"address": "local"}}})
    assert is_local_ray(local)
    assert is_local_ray(OmegaConf.create({"_target_": ray, "ray": {"init": {}}}))
    assert not is_local_ray(
        OmegaConf.create({"_target_": ray, "ray": {"init": {"address": "auto"}}})
    )
    joblib = "hydra_plugins.hydra_joblib_launcher.joblib_launcher.JoblibLauncher"
    assert not is_local_ray(OmegaConf.create({"_target_": joblib, "n_jobs": 2}))
    assert not is_local_ray(None)
    environ = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "1"}
    if "ray._private.ray_constants" not in sys.modules:  # else it depends on this process
        apply_loopback_env(environ)
        assert environ == LOOPBACK_ENV


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("hydra_plugins.hydra_submitit_launcher") is None,
    reason="needs the slurm extra: pip install 'simrl[slurm]'",
)
def test_submitit_local_launcher_runs_two_runs(tmp_path):
    proc = run_cli(
        "train", "-m", "hydra/launcher=submitit_local", "seed=0,1", *TINY, cwd=tmp_path, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    sweep = only_sweep_dir(tmp_path)
    for seed in (0, 1):
        s = summary(sweep / f"seed={seed}")
        assert (s["status"], s["seed"], s["num_threads"]) == ("completed", seed, 1)
