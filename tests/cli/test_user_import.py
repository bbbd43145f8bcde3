"""People in bulk: `merzim user import` adds a file's people all or none, each new one gets an
e-mail invitation (delivered by `merzim worker --once` to a real SMTP server, aiosmtpd) whose
one-time link sets her password once and expires; `merzim user reset` sends a new one. On
SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time

import pytest
from sqlmodel import Session, select

from tests.support.cli_runner import ok_json
from tests.support.databases import dump_tables
from tests.support.smtp_server import SmtpSink, write_config
from workflow.core.errors import UsageError
from workflow.services import accounts as auth
from workflow.services import invitations
from workflow.storage.models import Invitation, User

PUBLIC = "https://merzim.example.kz"
LINK = re.compile(re.escape(PUBLIC) + r"/invite/([A-Za-z0-9_-]{30,})")
DAY = 86400


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


def _config(tmp_path, port):
    return write_config(tmp_path / "merzim-people.toml", port, extra=f"""
[web]
public_url = "{PUBLIC}"

[accounts]
invitation_days = 7
""")


def _orgs(merzim_db):
    for args in (("AK-TEST", "--name", "Test akimat", "--name-ru", "Тестовый акимат",
                  "--kind", "akimat"),
                 ("AK-TEST-EDU", "--name", "Education department", "--name-kk", "Білім басқармасы",
                  "--kind", "department", "--parent", "AK-TEST")):
        run = merzim_db("org", "add", *args)
        assert run.returncode == 0, run.stderr


@pytest.fixture
def cfg(merzim_db, sink, tmp_path):
    """The configuration whose mail goes to the sink, the two organisations added."""
    _orgs(merzim_db)
    return _config(tmp_path, sink.port)


def _people_csv(path, n: int) -> None:
    """`n` people, headers in Russian; organisations by name (two languages) and by code;
    roles and languages as Russian, Kazakh and English labels and keys."""
    lines = ["ФИО;Логин;Электронная почта;Телеграм;Роль;Организация;Язык"]
    orgs = ("Тестовый акимат", "Білім басқармасы", "AK-TEST-EDU")
    roles = ("уполномоченное лицо", "басшы", "officer")
    langs = ("русский", "қазақ тілі", "en")
    for i in range(n):
        lines.append(f"Person {i:03d};p{i:03d};p{i:03d}@example.kz;;{roles[i % 3]};"
                     f"{orgs[i % 3]};{langs[i % 3]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_two_hundred_people_imported_get_two_hundred_invitations_each_link_works_once(
        merzim_db, db, sink, tmp_path, cfg):
    file = tmp_path / "people.csv"
    _people_csv(file, 200)
    out = ok_json(merzim_db("user", "import", str(file), "--json", config=cfg))
    assert len(out["added"]) == 200 and out["updated"] == [] and out["invited"] == 200

    with Session(db) as s:
        users = {u.login: u for u in s.exec(select(User).where(User.login.like("p%")))}
        assert len(users) == 200
        assert (users["p000"].role, users["p000"].language) == ("officer", "ru")
        assert (users["p001"].role, users["p001"].language) == ("manager", "kk")
        assert users["p002"].language == "en" and users["p000"].password_hash is None
        stored = s.exec(select(Invitation)).all()
        assert len(stored) == 200 and all(len(i.token_hash) == 64 for i in stored)
        assert all(abs(i.expires_at - i.created_at - 7 * DAY) < 1 for i in stored)

    # the worker also opens the new organisations' obligations and sends their reminders
    sent = ok_json(merzim_db("worker", "--once", "--json", config=cfg))
    assert sent["sent"] >= 200 and sent["failed"] == 0, sent
    assert sink.wait_for(sent["sent"], timeout=30)
    links = {}
    for received in sink.messages:
        (to,) = received.rcpt_tos
        found = LINK.search(received.message.get_body(("plain",)).get_content())
        if found:
            assert to not in links  # one invitation each
            links[to] = found.group(1)
    assert len(links) == 200 and set(links) == {f"p{i:03d}@example.kz" for i in range(200)}
    ru = next(m for m in sink.messages if m.rcpt_tos == ("p000@example.kz",)).message
    assert "истекает через 7 дней" in ru.get_body(("plain",)).get_content()
    with Session(db) as s:  # only the hashes are stored: no token appears in the database
        hashes = {i.token_hash for i in s.exec(select(Invitation))}
    assert {auth.digest(t) for t in links.values()} == hashes

    token = links["p000@example.kz"]
    with Session(db) as s:
        invitations.accept(s, token, "a-long-new-secret", "a-long-new-secret")
        s.commit()
    with Session(db) as s:
        assert auth.authenticate(s, "p000", "a-long-new-secret").user is not None
        with pytest.raises(UsageError) as used:
            invitations.accept(s, token, "another-long-secret", "another-long-secret")
        assert used.value.key == "accounts.invite_used"
        s.rollback()
    # another's link, a week and a day later: expired, nothing set
    late = time.time() + 8 * DAY
    with Session(db) as s:
        with pytest.raises(UsageError) as expired:
            invitations.accept(s, links["p001@example.kz"], "a-long-new-secret",
                               "a-long-new-secret", now=late)
        assert expired.value.key == "accounts.invite_expired"
        s.rollback()
        assert s.exec(select(User).where(User.login == "p001")).one().password_hash is None


def test_a_bad_file_is_refused_whole_naming_row_column_and_value_in_each_language(
        merzim_db, db, sink, tmp_path, cfg):
    file = tmp_path / "people.csv"
    file.write_text("name,login,email,telegram,role,organisation,language\n"
                    "Aigerim,aigerim,aigerim@example.kz,,officer,AK-TEST,kk\n"
                    "Bolat,bolat,not-an-address,,boss,AK-TEST,kk\n"
                    "Dana,aigerim,dana@example.kz,@dana,officer,Nowhere,fr\n", encoding="utf-8")
    before = dump_tables(db)
    expected = {
        "en": ["Row 3, column “E-mail”, value “not-an-address”: not an e-mail address",
               "Row 3, column “Role”, value “boss”: not one of officer, manager, administrator",
               "Row 4, column “Language”, value “fr”: not one of Kazakh, Russian, English",
               "Row 4, column “Organisation”, value “Nowhere”: no organisation has this name or code",
               "Row 4, column “Login”, value “aigerim”: the same login as row 2"],
        "ru": ["Строка 3, столбец «Электронная почта», значение «not-an-address»: это не адрес "
               "электронной почты",
               "Строка 4, столбец «Язык», значение «fr»: не входит в список: казахский, русский, "
               "английский"],
        "kk": ["3-жол, «Рөлі» бағаны, «boss» мәні", "4-жол, «Телеграм» бағаны, «@dana» мәні"],
    }
    heads = {"en": "The file is refused (6 problems); nothing was stored:",
             "ru": "Файл отклонён (6 ошибок); ничего не сохранено:",
             "kk": "Файл қабылданбады (6 қате); ештеңе сақталмады:"}
    for lang, lines in expected.items():
        run = merzim_db("user", "import", str(file), config=cfg, lang=lang)
        assert run.returncode == 2, run.stdout
        assert heads[lang] in run.stderr
        for line in lines:
            assert line in run.stderr, (lang, line, run.stderr)
        assert "Traceback" not in run.stderr
    after = dump_tables(db)
    after.pop("audit_log", None), before.pop("audit_log", None)
    assert after == before


def test_an_existing_login_changes_only_with_update_and_a_reset_sends_a_new_link(
        merzim_db, db, sink, tmp_path, cfg):
    first = tmp_path / "first.csv"
    first.write_text("login,name,email,role,organisation\n"
                     "aigerim,Aigerim,aigerim@example.kz,officer,AK-TEST\n", encoding="utf-8")
    ok_json(merzim_db("user", "import", str(first), "--json", config=cfg))
    again = tmp_path / "again.csv"
    again.write_text("login,name,email,role,organisation\n"
                     "aigerim,Aigerim Sadykova,aigerim@example.kz,manager,AK-TEST-EDU\n",
                     encoding="utf-8")
    before = dump_tables(db)
    refused = merzim_db("user", "import", str(again), config=cfg)
    assert refused.returncode == 2 and "this login exists" in refused.stderr
    assert {k: v for k, v in dump_tables(db).items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}
    out = ok_json(merzim_db("user", "import", str(again), "--update", "--json", config=cfg))
    assert out == {"added": [], "updated": ["aigerim"], "invited": 0, "kept": []}
    with Session(db) as s:
        user = s.exec(select(User).where(User.login == "aigerim")).one()
        assert (user.full_name, user.role) == ("Aigerim Sadykova", "manager")
        auth.set_password(s, user, "her-old-password", "test")
        s.commit()

    ok_json(merzim_db("user", "reset", "aigerim", "--json", config=cfg))
    with Session(db) as s:
        assert auth.authenticate(s, "aigerim", "her-old-password").user is None
        s.commit()
        live = s.exec(select(Invitation).where(Invitation.used_at.is_(None))).all()
        assert len(live) == 1  # the first invitation was replaced by the reset's
    sent = ok_json(merzim_db("worker", "--once", "--json", config=cfg))
    assert sink.wait_for(sent["sent"], timeout=10)
    tokens = [found.group(1) for m in sink.messages
              if (found := LINK.search(m.message.get_body(("plain",)).get_content()))]
    assert len(tokens) == 2
    with Session(db) as s:
        with pytest.raises(UsageError) as old:
            invitations.accept(s, tokens[0], "a-long-new-secret", "a-long-new-secret")
        assert old.value.key == "accounts.invite_used"
        s.rollback()
        invitations.accept(s, tokens[1], "a-long-new-secret", "a-long-new-secret")
        s.commit()
        assert auth.authenticate(s, "aigerim", "a-long-new-secret").user is not None


@pytest.mark.parametrize("table, message", [
    ("invitation_days = 0", "accounts.invitation_days: 0 is not a whole number of days"),
    ("invitation_days = \"7\"", "accounts.invitation_days: '7' is not a whole number"),
    ("telegram_bot = \"https://t.me/x\"", "accounts.telegram_bot: 'https://t.me/x' is not"),
])
def test_a_wrong_accounts_setting_is_refused_naming_it(tmp_path, table, message):
    from workflow.core.errors import ConfigError
    from workflow.settings import load_settings

    path = tmp_path / "config.toml"
    path.write_text(f"[accounts]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_settings(path=path, env={})
    assert message in str(refused.value)


def test_the_accounts_settings_default_to_a_week_and_no_bot(tmp_path):
    from workflow.settings import load_settings

    path = tmp_path / "config.toml"
    path.write_text("[accounts]\ntelegram_bot = \"@merzim_akimat_bot\"\n", encoding="utf-8")
    settings = load_settings(path=path, env={})
    assert (settings.invitation_days, settings.telegram_bot) == (7, "merzim_akimat_bot")
    assert load_settings(path=None, env={}).telegram_bot == ""


def test_a_signed_in_persons_mail_and_chat_survive_the_import_and_the_reset_mails_her(
        merzim_db, db, sink, tmp_path, cfg):
    """The hole: an administrator's `user import --update` named his own address and chat for
    a signed-in officer, and a password reset then mailed her account to him. Now the import
    leaves them (and names the row), `user set` refuses her chat and sends a link to a new
    address, which changes nothing until she opens it; the reset goes to her own mailbox."""
    first = tmp_path / "first.csv"
    first.write_text("login,name,email,role,organisation\n"
                     "aigerim,Aigerim,aigerim@example.kz,officer,AK-TEST\n", encoding="utf-8")
    ok_json(merzim_db("user", "import", str(first), "--json", config=cfg))
    with Session(db) as s:
        auth.set_password(s, s.exec(select(User).where(User.login == "aigerim")).one(),
                          "her-own-password", "test")
        s.commit()
        assert auth.authenticate(s, "aigerim", "her-own-password").user is not None
        s.commit()
    again = tmp_path / "again.csv"
    again.write_text("login,name,email,telegram,role,organisation\n"
                     "aigerim,Aigerim S.,admin@example.kz,4242,officer,AK-TEST\n",
                     encoding="utf-8")
    out = ok_json(merzim_db("user", "import", str(again), "--update", "--json", config=cfg))
    assert out["kept"] == [{"row": 2, "login": "aigerim", "fields": ["email", "telegram"]}]
    said = merzim_db("user", "import", str(again), "--update", config=cfg, lang="ru")
    assert said.returncode == 0 and "Строка 2 (aigerim)" in said.stdout
    with Session(db) as s:
        user = s.exec(select(User).where(User.login == "aigerim")).one()
        assert (user.full_name, user.email, user.telegram_chat_id) == (
            "Aigerim S.", "aigerim@example.kz", None)
    before = dump_tables(db)
    refused = merzim_db("user", "set", "aigerim", "--telegram-chat", "4242", config=cfg)
    assert refused.returncode == 3 and "only she can link her Telegram" in refused.stderr
    refused = merzim_db("user", "telegram-link", "aigerim", config=cfg)
    assert refused.returncode == 3
    assert {k: v for k, v in dump_tables(db).items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}
    out = ok_json(merzim_db("user", "set", "aigerim", "--email", "admin@example.kz", "--json",
                            config=cfg))
    assert (out["email"], out["email_pending"]) == ("aigerim@example.kz", "admin@example.kz")
    ok_json(merzim_db("user", "reset", "aigerim", "--json", config=cfg))
    sent = ok_json(merzim_db("worker", "--once", "--json", config=cfg))
    assert sink.wait_for(sent["sent"], timeout=10)
    by_kind = {("invite" if LINK.search(body) else "email-change" if "/account/email/" in body
                else "other"): m.rcpt_tos
               for m in sink.messages
               if (body := m.message.get_body(("plain",)).get_content())}
    assert by_kind["invite"] == ("aigerim@example.kz",)  # the reset: her own mailbox
    assert by_kind["email-change"] == ("admin@example.kz",)  # the link, to the new address
