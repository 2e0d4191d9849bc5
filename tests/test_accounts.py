"""Logins, lock-out, sessions, single sign-on by proxy header, security headers, CSRF, XSS, the audit log."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import sign_in
from flask.testing import FlaskClient

from kb.cli import main
from kb.errors import ValidationFailed
from kb.models import ArticleVote, User
from kb.web import create_app

PASSWORD = "correct horse battery staple"


@pytest.fixture
def site(knowledge_base):
    """An app with CSRF on (as in production) and one author account."""
    app = create_app(knowledge_base=knowledge_base)
    app.config.update(TESTING=True)
    knowledge_base.users.create("maria", role="author", password=PASSWORD, team="support", by="test")
    return app


def _anonymous(app) -> FlaskClient:
    return FlaskClient(app, app.response_class)


def _csrf(client: FlaskClient, url: str = "/login") -> str:
    html = client.get(url).get_data(as_text=True)
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def _csrf_value(html: str) -> str:
    return html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]


def _login(client: FlaskClient, password: str = PASSWORD, username: str = "maria", **extra: str):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": _csrf(client), **extra})


def test_login_then_logout(site) -> None:
    client = _anonymous(site)
    assert client.get("/articles").headers["Location"].startswith("/login?next=/articles")
    response = _login(client, next="/articles")
    assert response.status_code == 303 and response.headers["Location"] == "/articles"
    page = client.get("/articles")
    assert page.status_code == 200 and "maria · author" in page.text
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.expires is not None  # a working day, not "until the browser closes"
    client.post("/logout", data={"csrf_token": _csrf(client, "/articles")})
    assert client.get("/articles").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_login_never_redirects_off_site(site, target: str) -> None:
    response = _login(_anonymous(site), next=target)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_password_is_at_most_what_the_sign_in_form_reads(site, knowledge_base) -> None:
    longest = "p" * 1000
    knowledge_base.users.create("long", role="reader", password=longest, by="test")
    assert _login(_anonymous(site), longest, "long").status_code == 303
    assert _login(_anonymous(site), longest + "x", "long").status_code == 401  # never a cut-off match
    with pytest.raises(ValidationFailed, match="12 to 1000"):
        knowledge_base.users.create("longer", role="reader", password="p" * 1001, by="test")
    with pytest.raises(ValidationFailed):
        knowledge_base.users.update("long", by="test", password="p" * 1200)


def test_wrong_passwords_lock_the_account(site, knowledge_base) -> None:
    client = _anonymous(site)
    for _ in range(5):
        wrong = _login(client, "not the password at all")
        assert wrong.status_code == 401 and "wrong username or password" in wrong.text
    locked = _login(client)  # the right password, but too late
    unknown = _login(client, username="nobody")
    assert locked.status_code == unknown.status_code == 401
    assert knowledge_base.users.get("maria").locked_until is not None
    # The same words for a locked account and an unknown one: the form tells nobody which names exist.
    assert locked.text.replace('value="maria"', "") == unknown.text.replace('value="nobody"', "").replace(
        _csrf_value(unknown.text), _csrf_value(locked.text))
    knowledge_base.users.update("maria", by="admin", password=PASSWORD)  # an admin resets it: unlocked
    assert _login(client).status_code == 303
    actions = [e.action for e in knowledge_base.audit.list()[0]]
    assert "user.locked" in actions


def test_login_attempts_are_rate_limited_per_address(site, knowledge_base) -> None:
    knowledge_base.users.create("other", role="reader", password=PASSWORD, by="test")
    client = _anonymous(site)
    assert [_login(client, PASSWORD, username="other").status_code for _ in range(12)] == [303] * 12
    statuses = [_login(client, "wrong password here", username=f"user{i}").status_code for i in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429  # only failed sign-ins count
    refused = _login(client, "wrong password here", username="user1")
    assert refused.mimetype == "text/html" and "Too many failed sign-ins" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"]


def test_a_burst_of_sign_ins_sent_at_once_is_limited_before_passwords_are_checked(tmp_path) -> None:
    import http.cookiejar
    import re
    import threading
    import urllib.error
    import urllib.parse
    import urllib.request
    from collections import Counter

    from browser_support import browser_settings, serving

    from kb.knowledge_base import open_knowledge_base

    kb = open_knowledge_base(browser_settings(tmp_path), with_search=False)
    try:
        with serving(kb) as url:  # a real threaded server: failures are counted only after their answers
            jar = http.cookiejar.CookieJar()
            page = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)).open(url + "/login").read()
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.decode()).group(1)
            cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
            codes, lock, barrier = Counter(), threading.Lock(), threading.Barrier(80)

            def attempt(i: int) -> None:
                data = urllib.parse.urlencode({"csrf_token": token, "username": f"u{i}", "password": "guess"})
                request = urllib.request.Request(url + "/login", data=data.encode(), headers={"Cookie": cookie})
                barrier.wait()
                try:
                    code = urllib.request.urlopen(request).status
                except urllib.error.HTTPError as exc:
                    code = exc.code
                with lock:
                    codes[code] += 1

            threads = [threading.Thread(target=attempt, args=(i,)) for i in range(80)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        kb.close()
    assert codes[401] <= 60 and codes[429] >= 20, codes  # at most LOGIN_BURST_LIMIT passwords checked

def test_a_new_password_or_disabling_ends_sessions(site, knowledge_base) -> None:
    client = _anonymous(site)
    _login(client)
    assert client.get("/").status_code == 200
    knowledge_base.users.update("maria", by="admin", password="another long password")
    assert client.get("/").status_code == 302
    _login(client, "another long password")
    knowledge_base.users.update("maria", by="admin", disabled=True)
    assert client.get("/").status_code == 302
    assert _login(client, "another long password").status_code == 401


def test_sessions_from_before_the_upgrade_stay_valid(knowledge_base) -> None:
    user = knowledge_base.users.create("never-disabled", role="reader", password=PASSWORD, by="test")
    _, key = knowledge_base.users.session_user(user.id)
    with knowledge_base.db.session() as session:  # the key older releases signed sessions with
        assert key == session.get(User, user.id).password_hash


def test_enabling_an_account_again_does_not_revive_its_old_sessions(site, knowledge_base) -> None:
    client = _anonymous(site)
    _login(client)
    assert client.get("/").status_code == 200
    knowledge_base.users.update("maria", by="admin", disabled=True)
    knowledge_base.users.update("maria", by="admin", disabled=False)  # before the old session is used again
    assert client.get("/").status_code == 302
    _login(client)
    assert client.get("/").status_code == 200


def test_single_sign_on_by_trusted_header_is_off_by_default(site, knowledge_base) -> None:
    client = _anonymous(site)
    assert client.get("/", headers={"X-Remote-User": "maria"}).status_code == 302
    site.config["KB_TRUSTED_USER_HEADER"] = "X-Remote-User"
    assert client.get("/", headers={"X-Remote-User": "maria"}).status_code == 200
    new = client.get("/", headers={"X-Remote-User": "Jonas"})  # unknown: a reader account is made
    assert new.status_code == 200 and knowledge_base.users.get("jonas").role == "reader"
    assert client.get("/articles/new", headers={"X-Remote-User": "jonas"}).status_code == 403


def test_security_headers(site) -> None:
    response = _anonymous(site).get("/login")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"]


def test_session_cookie_is_secure_by_default(knowledge_base) -> None:
    settings = knowledge_base.settings.with_overrides(secure_cookies=True)
    app = create_app(settings, knowledge_base=knowledge_base)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_no_template_has_inline_script(site) -> None:
    client = _anonymous(site)
    sign_in(client, "admin", "admin")
    for url in ("/", "/articles", "/tickets", "/articles/new", "/admin/users", "/admin/audit", "/review", "/my"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and " onclick=" not in html and " style=" not in html, url


@pytest.mark.parametrize(("url", "data"), [
    ("/articles/new", {"title": "Forged", "body": "x"}),
    ("/admin/users", {"username": "mallory", "role": "admin", "password": "x" * 20}),
    ("/logout", {}),
])
def test_form_posts_without_a_csrf_token_fail(site, knowledge_base, url: str, data: dict) -> None:
    client = _anonymous(site)
    sign_in(client, "admin", "admin")
    response = client.post(url, data=data)
    assert response.status_code == 400 and "it was not sent" in response.text  # said in words, not as "CSRF"
    assert knowledge_base.users.find("mallory") is None and knowledge_base.store.find_slug("forged") is None


def test_a_form_sent_after_the_session_ended_shows_the_sign_in_form_back_to_the_page(site, knowledge_base) -> None:
    article = knowledge_base.store.create({"title": "Drawer", "body": "Replug."}, author="maria")
    client = _anonymous(site)
    _login(client)
    editor = f"/articles/{article.slug}/edit"
    token = _csrf_value(client.get(editor).text)
    client.post("/logout", data={"csrf_token": token})  # another tab signed out
    response = client.post(editor, data={"csrf_token": token, "title": "Drawer", "body": "Lost?",
                                         "base_revision": "1"}, headers={"Referer": f"http://localhost{editor}"})
    assert response.status_code == 401 and "Your session ended, so this was not saved" in response.text
    assert f'name="next" value="{editor}"' in response.text  # signing in goes back to the editor
    assert knowledge_base.store.get(article.id).body == "Replug."
    elsewhere = client.post(editor, data={"title": "x"}, headers={"Referer": "https://evil.example/x"})
    assert 'name="next" value="/"' in elsewhere.text  # a referrer from another site is never followed
    signed_in = _anonymous(site)
    _login(signed_in)
    stale = signed_in.post(editor, data={"csrf_token": "stale", "title": "x"},
                           headers={"Referer": f"http://localhost{editor}"})
    assert stale.status_code == 400 and f'href="{editor}"' in stale.text
    api = signed_in.post("/api/v1/articles", json={"title": "x", "body": "y"})
    assert api.status_code == 400 and api.json["error"]["code"] == "bad_request"  # the API keeps its JSON shape


def test_an_expired_sign_in_page_and_a_second_sign_out_say_nothing_of_lost_text(site) -> None:
    client = _anonymous(site)
    expired = client.post("/login", data={"username": "maria", "password": PASSWORD, "next": "/articles"})
    assert expired.status_code == 400 and "The sign-in page had expired" in expired.text
    assert 'name="next" value="/articles"' in expired.text  # signing in still goes where it was going
    again = client.post("/logout", data={})  # the session had ended already
    assert again.status_code == 303 and again.headers["Location"].startswith("/login")


def test_the_api_with_a_session_cookie_needs_the_csrf_header(site, knowledge_base) -> None:
    client = _anonymous(site)
    _login(client)
    assert client.post("/api/v1/articles", json={"title": "Forged", "body": "x"}).status_code == 400
    token = _csrf(client, "/")
    created = client.post("/api/v1/articles", json={"title": "Real", "body": "x"}, headers={"X-CSRFToken": token})
    assert created.status_code == 201 and created.json["owner"] == "maria"


XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>"><svg onload=alert(3)>'


def test_payloads_in_titles_tags_and_queries_come_out_inert(site, knowledge_base) -> None:
    client = _anonymous(site)
    sign_in(client, "admin", "admin")
    refused = client.post("/api/v1/articles", json={"title": "T", "body": "x", "tags": ["<b>bold</b>"]},
                          headers={"X-CSRFToken": _csrf(client, "/")})
    assert refused.status_code == 422 and refused.json["error"]["field"] == "tags"
    article = knowledge_base.store.create({"title": f"Drawer {XSS}", "body": f"Body {XSS}", "status": "published",
                                           "tags": ["onload=alert(1)"]}, author="x")
    pages = [f"/articles/{article.slug}", "/articles", f"/articles/{article.slug}/history",
             f"/?q={XSS}", f"/search/results?q={XSS}", f"/admin/audit?actor={XSS}", "/admin/audit", "/review"]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        for live in ("<script>alert", "<img src=x onerror", "<svg onload", "<b>bold</b>"):
            assert live not in html, (url, live)


def test_the_audit_log_records_each_change_with_the_right_user(site, knowledge_base) -> None:
    client = _anonymous(site)
    _login(client)
    token = _csrf(client, "/articles/new")
    client.post("/articles/new", data={"title": "Refunds", "body": "v1", "status": "draft", "csrf_token": token})
    article = knowledge_base.store.find_slug("refunds")
    client.post(f"/articles/{article.slug}/edit", data={"title": "Refunds", "body": "v2", "status": "in_review",
                                                        "team": "support", "base_revision": "1",
                                                        "csrf_token": token})
    reviewer = _anonymous(site)
    sign_in(reviewer, "rita", "reviewer")
    reviewer.post(f"/articles/{article.slug}/status", data={"status": "published", "csrf_token": _csrf(reviewer, "/")})
    admin = _anonymous(site)
    sign_in(admin, "root", "admin")
    admin.post(f"/articles/{article.slug}/purge", data={"confirm": article.slug, "csrf_token": _csrf(admin, "/")})
    entries = [e for e in reversed(knowledge_base.audit.list()[0]) if e.article_slug == "refunds"]
    assert [(e.actor, e.action, e.before_revision, e.after_revision) for e in entries] == [
        ("maria", "article.created", None, 1), ("maria", "article.updated", 1, 2),
        ("rita", "article.updated", 2, 3), ("root", "article.purged", 3, None)]
    assert entries[2].detail["status_from"] == "in_review" and entries[2].detail["status"] == "published"
    assert knowledge_base.store.find_slug("refunds") is None
    rows = list(csv.reader(io.StringIO(admin.get("/admin/audit.csv").data.decode("utf-8-sig"))))
    assert rows[0][:5] == ["id", "at", "actor", "actor_kind", "action"]
    assert ["root", "user", "article.purged"] in [r[2:5] for r in rows]
    api = admin.get("/api/v1/audit?action=article.purged&format=csv")
    assert api.mimetype == "text/csv" and "refunds" in api.get_data(as_text=True)


def test_csv_export_defuses_spreadsheet_formulas(knowledge_base) -> None:
    knowledge_base.users.create("evil", role="reader", password=None, by="=HYPERLINK(\"x\")", team="")
    text = "".join(knowledge_base.audit.csv_rows())
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_create_user_command(settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.setenv("KB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KB_INSTANCE_DIR", str(settings.instance_dir))
    monkeypatch.setenv("ADMIN_PASSWORD", PASSWORD)
    assert main(["create-user", "alice", "--role", "admin", "--password-env", "ADMIN_PASSWORD"]) == 0
    assert "created user alice (role admin)" in capsys.readouterr().out
    assert main(["create-user", "alice", "--role", "admin", "--if-missing"]) == 0
    assert main(["create-user", "alice", "--role", "admin", "--generate-password"]) == 2  # exists
    assert main(["create-user", "bob", "--role", "reader", "--generate-password"]) == 0
    out = capsys.readouterr().out
    assert "password: " in out
    assert main(["list-users"]) == 0 and "alice" in capsys.readouterr().out


def test_sign_in_starts_a_fresh_session(site) -> None:
    client = _anonymous(site)
    with client.session_transaction() as session:
        session["csrf_token"] = "planted-by-someone-else"
        session["kb_last_search"] = ["x", "my customer's email", 0]
    _login(client)
    with client.session_transaction() as session:
        assert session.get("csrf_token") != "planted-by-someone-else" and "kb_last_search" not in session
    client.post("/logout", data={"csrf_token": _csrf(client, "/")})
    with client.session_transaction() as session:
        assert "_user_id" not in session and "csrf_token" not in session


@pytest.mark.parametrize("bad", ["/a\nb", "/a\x00b"])
def test_a_next_with_control_characters_goes_home(site, bad: str) -> None:
    response = _login(_anonymous(site), next=bad)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_single_sign_on_refuses_unusable_and_disabled_names(site, knowledge_base) -> None:
    site.config["KB_TRUSTED_USER_HEADER"] = "X-Remote-User"
    client = _anonymous(site)
    assert client.get("/", headers={"X-Remote-User": "DOMAIN\\x"}).status_code == 403
    _login(client)  # a session cookie for maria ...
    knowledge_base.users.create("gone", role="admin", password=None, by="test")
    knowledge_base.users.update("gone", by="test", disabled=True)
    assert client.get("/", headers={"X-Remote-User": "gone"}).status_code == 403  # ... is no fallback


def test_single_sign_on_header_is_refused_from_an_address_that_is_not_the_proxy(site, knowledge_base) -> None:
    site.config["KB_TRUSTED_USER_HEADER"] = "X-Remote-User"
    outsider = FlaskClient(site, site.response_class)
    outsider.environ_base = {"REMOTE_ADDR": "203.0.113.7"}
    page = outsider.get("/", headers={"X-Remote-User": "eve"})
    assert page.status_code == 403 and "KB_TRUSTED_PROXIES" in page.get_data(as_text=True)
    assert knowledge_base.users.find("eve") is None  # nothing was created for the claim
    assert outsider.get("/login").status_code == 200  # without the header the address may still sign in
    local = _anonymous(site)  # the test client connects from 127.0.0.1, the default trusted proxy
    assert local.get("/", headers={"X-Remote-User": "maria"}).status_code == 200
    for peer in ("::ffff:127.0.0.1", "::1", ""):  # dual-stack listener, IPv6 loopback, a Unix socket
        client = _anonymous(site)
        client.environ_base = {"REMOTE_ADDR": peer}
        assert client.get("/", headers={"X-Remote-User": "maria"}).status_code == 200, peer


def test_single_sign_on_trusts_the_configured_proxy_even_behind_proxy_fix(knowledge_base) -> None:
    settings = knowledge_base.settings.with_overrides(
        trusted_user_header="X-Remote-User", trusted_proxies=("10.0.0.0/24",), proxy_hops=1)
    app = create_app(settings, knowledge_base)
    app.config.update(TESTING=True)
    knowledge_base.users.create("maria", role="author", password=PASSWORD, team="support", by="test")

    def get(peer: str, forwarded_for: str):
        client = FlaskClient(app, app.response_class)
        client.environ_base = {"REMOTE_ADDR": peer}
        return client.get("/", headers={"X-Remote-User": "maria", "X-Forwarded-For": forwarded_for})

    assert get("10.0.0.5", "198.51.100.20").status_code == 200  # the proxy, passing on a client's address
    assert get("127.0.0.1", "10.0.0.5").status_code == 403  # loopback is no longer trusted
    assert get("198.51.100.20", "10.0.0.5").status_code == 403  # a forged X-Forwarded-For does not help
    assert get("", "198.51.100.20").status_code == 200  # a Unix socket: the client's address is not the peer


def test_trusted_proxies_are_read_from_the_environment(monkeypatch) -> None:
    from kb.config import load_settings

    monkeypatch.setenv("KB_TRUSTED_PROXIES", " 10.1.2.3, 192.168.0.0/16 ,fd00::1")
    assert load_settings().trusted_proxies == ("10.1.2.3/32", "192.168.0.0/16", "fd00::1/128")
    monkeypatch.delenv("KB_TRUSTED_PROXIES")
    assert load_settings().trusted_proxies == ("127.0.0.1/8", "::1/128")
    monkeypatch.setenv("KB_TRUSTED_PROXIES", "10.1.2.3,proxy.internal")
    with pytest.raises(ValueError, match=r"'proxy\.internal' is not an IP address"):
        load_settings()


def test_an_empty_role_is_refused(knowledge_base) -> None:
    user = knowledge_base.users.create("x1", role="reader", password=None, by="t")
    with pytest.raises(Exception, match="role must be one of"):
        knowledge_base.users.update(user.id, by="t", role="")
    assert knowledge_base.users.get(user.id).role == "reader"


def test_purged_article_ids_are_never_handed_out_again(site, knowledge_base) -> None:
    admin = _anonymous(site)
    sign_in(admin, "root", "admin")
    first = knowledge_base.store.create({"title": "Newest", "body": "x"}, author="t")
    knowledge_base.feedback.vote(first.id, True, "maria")
    knowledge_base.editing.purge(knowledge_base_principal(), first.id)
    with knowledge_base.db.session() as session:  # nothing of it stays behind
        assert session.query(ArticleVote).count() == 0
    second = knowledge_base.store.create({"title": "Next", "body": "y"}, author="t")
    assert second.id > first.id
    assert knowledge_base.workflow.transitions(second.id)[0]["status"] == "draft"
    assert len(knowledge_base.workflow.transitions(second.id)) == 1


def knowledge_base_principal():
    from kb.permissions import Principal

    return Principal("root", "admin")


@pytest.mark.parametrize(("method", "url", "data"), [
    ("POST", "/articles/{slug}/status", {"status": "archived", "base_revision": "x"}),
    ("GET", "/admin/audit?article_id=²", None),
    ("GET", "/api/v1/audit?article_id=²", None),
    ("POST", "/search/opened", {"q": "x", "log": "abc", "article": "²"}),
])
def test_odd_input_is_refused_not_a_crash(site, knowledge_base, method: str, url: str, data) -> None:
    site.config["WTF_CSRF_ENABLED"] = False
    article = knowledge_base.store.create({"title": "Odd", "body": "x", "status": "published"}, author="t")
    client = _anonymous(site)
    sign_in(client, "root", "admin")
    status = client.open(url.format(slug=article.slug), method=method, data=data).status_code
    assert status < 500


def test_admins_manage_tokens_and_see_teams_and_settings(site, knowledge_base) -> None:
    admin = _anonymous(site)
    sign_in(admin, "root", "admin", team="support")
    token = _csrf(admin, "/admin/tokens")
    page = admin.get("/admin/tokens").text
    form = {"name": "zendesk-emea", "scope": "suggest", "team": "support", "csrf_token": token,
            "form_id": page.split('name="form_id" value="')[1].split('"')[0]}
    shown = admin.post("/admin/tokens", data=form)
    assert shown.headers["Cache-Control"] == "no-store"
    secret = shown.text.split('<code class="secret">')[1].split("<")[0]
    assert secret.startswith("kb_") and knowledge_base.tokens.verify(secret).name == "zendesk-emea"
    # Shown in the answer only: never in a cookie (the session's is signed, not encrypted).
    assert all(secret not in cookie for cookie in shown.headers.getlist("Set-Cookie"))
    assert secret not in admin.get("/admin/tokens").text  # shown once
    resent = admin.post("/admin/tokens", data=form)  # a reload of that page sends the same form again
    assert resent.status_code == 200 and "sent before" in resent.text and secret not in resent.text
    assert [t.name for t in knowledge_base.tokens.list()] == ["zendesk-emea"]
    refused = admin.post("/admin/tokens", data={"name": "", "scope": "suggest", "csrf_token": token})
    assert refused.status_code == 422 and refused.headers["Cache-Control"] == "no-store"
    token_id = knowledge_base.tokens.verify(secret).id
    admin.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert knowledge_base.tokens.verify(secret) is None
    teams = admin.get("/admin/teams").text
    assert "support" in teams and "1 admin" in teams and "1 author" in teams
    settings = admin.get("/admin/settings").text
    assert "embedding_model" in settings and "test-secret" not in settings and "(set)" in settings


def test_the_audit_page_and_api_read_their_filters_alike(site, knowledge_base) -> None:
    client = _anonymous(site)
    sign_in(client, "root", "admin")
    for url in ("/admin/audit?article_id=first", "/admin/audit.csv?article_id=1x", "/api/v1/audit?article_id=x"):
        assert client.get(url).status_code == 400, url  # a malformed parameter, as per_page=abc
    assert client.get("/admin/audit?per_page=501").status_code == 400
    assert client.get("/api/v1/audit?per_page=501").get_json()["error"]["code"] == "bad_request"


def test_team_names_for_people_and_tokens_are_ones_articles_accept(knowledge_base) -> None:
    with pytest.raises(ValidationFailed, match="team"):
        knowledge_base.users.create("spacey", role="author", password=None, team="Support Team", by="t")
    user = knowledge_base.users.create("tidy", role="author", password=None, team=" support ", by="t")
    assert user.team == "support"
    with pytest.raises(ValidationFailed, match="team"):
        knowledge_base.users.update("tidy", by="t", team="Support Team")
    with pytest.raises(ValidationFailed, match="team"):
        knowledge_base.tokens.create("billing", "write", team="Billing Team")


def test_the_settings_page_never_shows_credentials(site, knowledge_base) -> None:
    client = _anonymous(site)
    sign_in(client, "root", "admin")
    # As read from KB_RATELIMIT_STORAGE_URI (the limiter itself is not started on it here: no redis client).
    knowledge_base.settings = knowledge_base.settings.with_overrides(
        ratelimit_storage_uri="redis://:S3cretPass@redis.internal:6379/0")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "S3cretPass" not in page and "redis://…@redis.internal:6379/0" in page


def test_an_admin_cannot_disable_their_own_account(knowledge_base) -> None:
    knowledge_base.users.create("boss", role="admin", password=None, by="t")
    with pytest.raises(ValidationFailed, match="your own account"):
        knowledge_base.users.update("boss", by="boss", disabled=True)
    assert knowledge_base.users.update("boss", by="other-admin", disabled=True).disabled


def test_an_admin_cannot_demote_their_own_account(knowledge_base) -> None:
    knowledge_base.users.create("chief", role="admin", password=None, by="test")
    with pytest.raises(ValidationFailed, match="admin role from your own account"):
        knowledge_base.users.update("chief", by="chief", role="reader")
    assert knowledge_base.users.get("chief").role == "admin"
    assert knowledge_base.users.update("chief", by="other-admin", role="reviewer").role == "reviewer"


def test_change_decisions_are_audited_with_the_articles_slug(knowledge_base) -> None:
    from kb.permissions import Principal

    article = knowledge_base.store.create({"title": "Drawer", "body": "v1", "status": "published"}, author="t")
    proposal = knowledge_base.change_requests.propose(Principal("amy", "author"), article.id, {"body": "v2"},
                                                      base_revision=1)
    knowledge_base.change_requests.reject(Principal("rita", "reviewer"), proposal.id, "no")
    entries, _ = knowledge_base.audit.list()
    assert [e.article_slug for e in entries if e.action == "change.rejected"] == ["drawer"]


def test_signing_out_clears_what_the_browser_kept(site, knowledge_base) -> None:
    client = _anonymous(site)
    _login(client)
    page = client.get("/").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Clear-Site-Data"] == '"storage"'
