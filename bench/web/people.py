"""A database for the sign-in benchmarks: migrated, one organisation `AK` (Akimat) and its
users, all with the same web password (one hash made at the installation's default argon2 cost
and copied to the others, so building is quick; each row has the hash as `set_password` makes
it).

It imports nothing from bench/: bench/web/signins.py runs this file by its path with another
checkout's code first on the path, so that the database is built by that code.
"""

from __future__ import annotations

from datetime import date


def build(url: str, users: list[tuple[str, str, str]], password: str, today: date,
          actor: str) -> None:
    """The database at `url` for `users`, each (login, name, role): the first's password set
    with `set_password`, the others given its hash."""
    from sqlmodel import Session

    from calendars import KazakhstanCalendar
    from workflow import services as svc
    from workflow.definitions import load_definition
    from workflow.services import accounts as auth
    from workflow.storage.db import make_engine, upgrade

    try:  # the features a composition root installs (where the code has them)
        from workflow.installed import install
    except ImportError:
        pass
    else:
        install()
    engine = make_engine(url)
    upgrade(engine)
    ctx = svc.Context(KazakhstanCalendar(), load_definition(), today, actor=actor,
                      language="en")
    with Session(engine) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        (login, name, role), *others = users
        first = svc.add_user(s, ctx, login, name, role, "AK")
        auth.set_password(s, first, password, "bench")
        for login, name, role in others:
            user = svc.add_user(s, ctx, login, name, role, "AK")
            user.password_hash = first.password_hash
            s.add(user)
        s.commit()
    engine.dispose()
