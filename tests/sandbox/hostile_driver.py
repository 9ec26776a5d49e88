"""Runs the hostile programs; started by test_hostile.py inside the outer containment only.

It runs as uid 65534 in its own pid namespace with a process-count limit. It creates the
targets a program might attack (a listener on the host's loopback, a sentinel process, a
secret file and a victim file, a token in its environment and on its disk), runs every
hostile program through the sandbox followed by a correct one, and prints a JSON report.
The expected output of every hostile program is the secret token, which a program could
only print by escaping.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import threading
from pathlib import Path
from string import Template


_HOSTILE: dict[str, str] = {
    "fork_bomb": """
import posix
n = 0
for _ in range(50):
    try:
        posix.fork()
        n += 1
    except OSError:
        pass
print('forked' if n else 'no')
""",
    "os_fork_nulled": "import os\nos.fork()\nprint('forked')",
    "subprocess": "import subprocess\nprint(subprocess.check_output(['cat', '$token_file']).decode())",
    "posix_spawn": "import os\nos.posix_spawn('/bin/cat', ['cat', '$token_file'], {})\nprint('spawned')",
    "os_system": "import posix\nposix.system('cat $token_file > $pwned')\nprint(open('$pwned').read())",
    "execv": "import os\nos.execv('/bin/cat', ['cat', '$token_file'])",
    "write_outside": "open('$pwned', 'w').write('pwned')\nprint(open('$token_file').read())",
    "delete_host_file": "import posix\nposix.unlink('$victim')\nprint('deleted')",
    "overwrite_host_file": "open('$victim', 'w').write('pwned')\nprint('written')",
    "read_secret_file": "print(open('$token_file').read().strip())",
    "read_environment": "import os\nprint(os.environ.get('DED_HOSTILE_TOKEN'))",
    "proc_environ_scan": """
import os
for p in os.listdir('/proc'):
    try:
        data = open('/proc/%s/environ' % p, 'rb').read()
    except Exception:
        continue
    for kv in data.split(b'\\0'):
        if kv.startswith(b'DED_HOSTILE_TOKEN='):
            print(kv.split(b'=', 1)[1].decode())
""",
    "proc_parent_mem": "import os\nf = open('/proc/%d/mem' % os.getppid(), 'rb')\nprint(f.read(10))",
    "connect_loopback": """
import socket
s = socket.create_connection(('127.0.0.1', $port), timeout=1)
s.sendall(b'hello')
print('connected')
""",
    "kill_parent": "import posix, os\nposix.kill(os.getppid(), 9)\nprint('killed')",
    "kill_everything": "import posix\nposix.kill(-1, 9)\nprint('killed')",
    "kill_host_sentinel": "import posix\nposix.kill($sentinel, 9)\nprint('killed')",
    "ctypes_kill_parent": "import ctypes, os\nrc = ctypes.CDLL(None).kill(os.getppid(), 9)\nprint(rc == 0)",
    "ptrace_parent": "import ctypes, os\nprint(ctypes.CDLL(None).ptrace(16, os.getppid(), 0, 0) == 0)",
    "unshare_userns": "import ctypes\nrc = ctypes.CDLL(None).unshare(0x10000000)\nprint(rc == 0)",
    "memory_bomb": "x = bytearray(6 << 30)\nprint('allocated')",
    "memory_creep": "l = []\nwhile True:\n    l.append(' ' * 10**7)",
    "disk_bomb": "i = 0\nwhile True:\n    open('/tmp/f%d' % i, 'w').write('x' * 10**6)\n    i += 1",
    "output_flood": "while True:\n    print('x' * 10000)",
    "fd_flood": "import os\nwhile True:\n    os.write(1, b'x' * 65536)",
    "segfault": "import ctypes\nctypes.string_at(0)",
    "signal_tricks": """
import signal
for s in (signal.SIGALRM, signal.SIGXCPU, signal.SIGTERM):
    signal.signal(s, signal.SIG_IGN)
while True:
    pass
""",
    "raise_sigstop_self": "import signal\nsignal.raise_signal(signal.SIGSTOP)\nprint('stopped')",
    "double_fork_escape": """
import posix
if posix.fork() == 0:
    posix.setsid()
    if posix.fork() == 0:
        open('$pwned', 'w').write('escaped')
print('escaped')
""",
    "thread_bomb": """
import threading, time
ts = [threading.Thread(target=time.sleep, args=(5,)) for _ in range(2000)]
for t in ts:
    t.start()
print('threads')
""",
    "forge_result_fds": """
import os, json, struct
body = json.dumps({'k': 'ok', 'out': 'TOKEN-guess'}).encode()
for fd in range(3, 64):
    try:
        os.write(fd, struct.pack('>I', len(body)) + body)
    except OSError:
        pass
print('TOKEN-guess')
""",
    "search_memory": """
import gc
for o in gc.get_objects():
    values = o.values() if isinstance(o, dict) else o if isinstance(o, (list, tuple)) else ()
    for v in values:
        if isinstance(v, str) and v.startswith('TOKEN-'):
            print(v.strip())
            raise SystemExit
print('none')
""",
    "search_disk": """
import os
for root, dirs, files in os.walk('/'):
    if root.startswith('/proc'):
        continue
    for f in files:
        try:
            d = open(os.path.join(root, f), 'rb').read(1 << 16)
        except Exception:
            continue
        i = d.find(b'TOKEN-')
        if i >= 0:
            print(d[i:i + 40].split()[0].decode())
            raise SystemExit
print('none')
""",
    "sleep_forever": "import time\ntime.sleep(10**6)",
    "close_channel_and_spin": """
import os
for fd in range(3, 64):
    try:
        os.close(fd)
    except OSError:
        pass
while True:
    pass
""",
}

FORGED_CALL = {
    "forge_eq_object": """
class X:
    def __eq__(self, o):
        return True
class Solution:
    def f(self, a):
        return X()
""",
    "forge_str_subclass": """
class S(str):
    def __eq__(self, o):
        return True
    __hash__ = str.__hash__
class Solution:
    def f(self, a):
        return S('x')
""",
    "system_exit_in_call": "class Solution:\n    def f(self, a): raise SystemExit(0)",
}


def hostile_programs(**targets: object) -> dict[str, str]:
    """Each stdin program prints the secret token if it manages to get it."""
    return {name: Template(code).safe_substitute(targets) for name, code in _HOSTILE.items()}


def main() -> None:
    from ded_plugins.sandbox import RunRequest, Sandbox

    work = Path(sys.argv[1])
    token = "TOKEN-" + secrets.token_hex(16)
    token_file = work / "secret.txt"
    token_file.write_text(token + "\n")
    (work / "expected_on_disk.txt").write_text(token + "\n")
    victim = work / "victim.txt"
    victim.write_text("intact")
    pwned = work / "pwned.txt"
    os.environ["DED_HOSTILE_TOKEN"] = token

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.5)
    connections: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                connections.append("connection")
                conn.close()
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    sentinel = subprocess.Popen(["sleep", "600"])
    port = listener.getsockname()[1]

    correct = RunRequest(
        id="correct",
        code="a, b = map(int, input().split())\nprint(a + b)",
        inputs=("2 3\n",),
        outputs=("5\n",),
        timeout_s=2,
    )
    results = []
    targets = hostile_programs(
        token_file=token_file, victim=victim, pwned=pwned, port=port, sentinel=sentinel.pid
    )
    programs = [
        RunRequest(id=name, code=code, inputs=("\n",), outputs=(token + "\n",), timeout_s=1)
        for name, code in targets.items()
    ] + [
        RunRequest(id=name, code=code, inputs=("1",), outputs=(json.dumps(token),), fn_name="f", timeout_s=1)
        for name, code in FORGED_CALL.items()
    ]
    with Sandbox(workers=2, memory_mb=1024, max_output_bytes=8 << 20) as box:
        for request in programs:
            hostile = box.run(request)
            after = box.run(correct)
            results.append(
                {
                    "name": request.id,
                    "status": hostile.status,
                    "passed": hostile.passed,
                    "after_ok": after.passed,
                }
            )
        isolation = box.isolation
    stop.set()
    report = {
        "isolation": isolation,
        "results": results,
        "connections": len(connections),
        "sentinel_alive": sentinel.poll() is None,
        "victim_intact": victim.exists() and victim.read_text() == "intact",
        "pwned_exists": pwned.exists(),
        "uid": os.getuid(),
        "pid": os.getpid(),
    }
    sentinel.kill()
    sentinel.wait()
    print(json.dumps(report))


if __name__ == "__main__":
    main()
