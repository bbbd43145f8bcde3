"""Password checks bounded in a process: at most N at once, and their memory handed back when
each ends, so a burst of sign-ins on a server's many threads costs N checks' memory, not one
per thread (measured in a process of its own: its peak resident memory, VmHWM)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.support.envs import clean_env

BURST = textwrap.dedent("""
    import json, sys, threading
    from argon2 import PasswordHasher
    from workflow.services import accounts as auth

    def peak():
        with open("/proc/self/status") as fh:
            return next(int(l.split()[1]) // 1024 for l in fh if l.startswith("VmHWM:"))

    auth.limit_password_checks(2, 60)
    hasher = PasswordHasher.from_parameters(auth.OWASP_19M)
    hasher.hash("warm-up")  # the library loaded, one check's memory used and given back
    before = peak()
    at_once, most = 0, 0
    lock = threading.Lock()

    def check(i):
        global at_once, most
        with auth.password_check():
            with lock:
                at_once += 1
                most = max(most, at_once)
            hasher.verify(hasher.hash(f"password-{i}"), f"password-{i}")
            with lock:
                at_once -= 1

    threads = [threading.Thread(target=check, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"grew_mib": peak() - before, "most_at_once": most}))
""")


def test_sixteen_threads_checking_passwords_hold_at_most_two_checks_memory():
    done = subprocess.run([sys.executable, "-c", BURST], capture_output=True, text=True,
                          env=clean_env(), timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["most_at_once"] == 2
    # two checks of 19 MiB at once, and some slack; a thread keeping its last check's memory
    # would be 16 × 19 MiB
    assert found["grew_mib"] < 2 * 19 + 20, found
