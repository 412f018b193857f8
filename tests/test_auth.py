"""Login, roles, CSRF and API tokens."""

import pytest

from core import users
from core.testing import csrf_token


def test_pages_require_login(client):
    response = client.get("/admin/modules")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    assert client.get("/").status_code == 302


def test_health_needs_no_login(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json["status"] == "ok"
    assert response.json["database"] == "ok"


def test_login_with_wrong_password_is_refused(client):
    token = csrf_token(client)
    data = {"login": "admin", "password": "nope", "csrf_token": token}
    response = client.post("/login", data=data)
    assert response.status_code == 401
    assert "wrong password" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_then_logout(client, login):
    login(client, "sales")
    home = client.get("/")
    assert home.status_code == 200
    assert "Sam Sales" in home.get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_login_redirects_to_the_page_asked_for_but_never_offsite(client):
    token = csrf_token(client)
    data = {"login": "admin", "password": "adminadmin", "csrf_token": token}
    assert client.post("/login?next=/admin/users", data=data).headers["Location"] == "/admin/users"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    data["csrf_token"] = csrf_token(client)
    assert client.post("/login?next=https://evil.test/", data=data).headers["Location"] == "/"


def test_form_post_without_csrf_token_is_rejected(client, login):
    login(client, "admin")
    response = client.post("/admin/users", data={
        "login": "eve", "name": "Eve", "password": "longenough", "role_sales": "1",
    })
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert "eve" not in client.get("/admin/users").get_data(as_text=True)


def test_login_form_without_csrf_token_is_rejected(client):
    response = client.post("/login", data={"login": "admin", "password": "adminadmin"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("path", ["/admin/modules", "/admin/users", "/admin/tokens"])
def test_role_without_rights_gets_403(client, login, path):
    login(client, "sales")
    assert client.get(path).status_code == 403


def test_module_route_checks_its_role(make_app, login):
    client = make_app(modules=["example"]).test_client()
    login(client, "marketing")
    refused = client.get("/example/")
    assert refused.status_code == 403
    assert ("This needs the sales role; ask a user who has it, or an admin to give it to you."
            in refused.get_data(as_text=True))
    client = client.application.test_client()
    login(client, "sales")
    assert client.get("/example/").status_code == 200


def test_menu_shows_only_entries_the_role_allows(make_app, login):
    app = make_app(modules=["example"])
    admin, sales, marketing = (app.test_client() for _ in range(3))
    login(admin, "admin")
    login(sales, "sales")
    login(marketing, "marketing")
    assert 'href="/admin/modules"' in admin.get("/").get_data(as_text=True)
    assert 'href="/example/"' in admin.get("/").get_data(as_text=True)
    assert 'href="/admin/modules"' not in sales.get("/").get_data(as_text=True)
    assert 'href="/example/"' in sales.get("/").get_data(as_text=True)
    assert 'href="/example/"' not in marketing.get("/").get_data(as_text=True)


@pytest.fixture
def token(registry):
    with registry.session_factory() as session, session.begin():
        _token, secret = users.create_token(session, users.find_user(session, "sales"), "test")
    return secret


def test_api_token_is_accepted(client, token):
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.json["login"] == "sales"
    assert response.json["roles"] == ["sales"]


@pytest.mark.parametrize("header", [None, "Bearer cpt_wrong", "Bearer ", "Basic YWRtaW46YWRtaW4="])
def test_missing_or_bad_token_gets_401(client, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json["code"] == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="comptoir"'


def test_revoked_token_and_inactive_user_get_401(client, registry, token):
    headers = {"Authorization": f"Bearer {token}"}
    with registry.session_factory() as session, session.begin():
        users.update_user(session, users.find_user(session, "sales"), active=False)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    with registry.session_factory() as session, session.begin():
        users.update_user(session, users.find_user(session, "sales"), active=True)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with registry.session_factory() as session, session.begin():
        [stored] = users.list_tokens(session)
        users.revoke_token(session, stored.id)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_session_cookie_does_not_authenticate_the_api(client, login):
    login(client, "admin")
    assert client.get("/api/v1/me").status_code == 401


def test_tokens_are_stored_hashed(registry, token):
    with registry.session_factory() as session:
        [stored] = users.list_tokens(session)
        assert token not in (stored.digest, stored.prefix)
        assert stored.digest == __import__("hashlib").sha256(token.encode()).hexdigest()


def test_an_error_page_leads_back_to_the_page_of_this_site_it_came_from(make_app, login):
    client = make_app().test_client()
    login(client, "admin")

    def back_link(referrer):
        page = client.get("/admin/users/999999", headers={"Referer": referrer})
        assert page.status_code == 404
        found = [line for line in page.get_data(as_text=True).splitlines() if 'id="back"' in line]
        return found[0].split('href="')[1].split('"')[0] if found else None

    assert back_link("http://localhost/admin/users?page=2") == "/admin/users?page=2"
    assert back_link("http://elsewhere.example/admin/users") is None
    assert back_link("http://localhost//elsewhere.example/x") is None, "another site's address"
    assert back_link("http://localhost/admin/users/999999") is None, "not to itself"


def test_the_bearer_scheme_is_read_in_any_case(client, token):
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = client.get("/api/v1/me", headers={"Authorization": f"{scheme} {token}"})
        assert response.status_code == 200, scheme
