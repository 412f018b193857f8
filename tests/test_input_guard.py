"""Text PostgreSQL cannot hold (a NUL character, over-long values) is refused, never a 500."""

import re
from io import BytesIO

import pytest

from core import users
from core.testing import csrf_token


@pytest.fixture
def app(make_app):
    return make_app(modules=["example"])


def test_nul_in_the_login_form_is_a_422(client):
    response = client.post("/login", data={"login": "ad\x00min", "password": "x",
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert "Must not contain a NUL character." in response.get_data(as_text=True)


def test_nul_in_a_module_api_body_is_a_422_per_field(client, registry):
    with registry.session_factory() as session, session.begin():
        _token, secret = users.create_token(session, users.find_user(session, "sales"), "t")
    response = client.post("/api/v1/example/notes", json={"text": "a\x00b"},
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {"text": ["Must not contain a NUL character."]}
    in_query = client.get("/api/v1/example/notes?q=a%00b",
                          headers={"Authorization": f"Bearer {secret}"})
    assert in_query.status_code == 422
    assert in_query.json["errors"] == {"query": {"q": ["Must not contain a NUL character."]}}, \
        "where the request carried it"
    both = client.post("/api/v1/example/notes?q=%00", json={"text": "a\x00b"},
                       headers={"Authorization": f"Bearer {secret}"})
    assert both.status_code == 422 and both.json["errors"] == {
        "query": {"q": ["Must not contain a NUL character."]},
        "json": {"text": ["Must not contain a NUL character."]}}


def test_nul_and_over_long_text_in_a_module_form(client, login):
    login(client, "sales")
    token = csrf_token(client, "/example/")
    nul = client.post("/example/", data={"text": "a\x00b", "csrf_token": token})
    assert nul.status_code == 422
    long = client.post("/example/", data={"text": "x" * 300, "csrf_token": token})
    assert long.status_code == 422
    assert "Length must be between 1 and 200." in long.get_data(as_text=True)
    assert "x" * 300 not in client.get("/example/").get_data(as_text=True)


def test_extra_form_fields_are_bounded_by_their_max_length(client, login):
    login(client, "admin")
    response = client.post("/admin/users", data={
        "login": "kim", "name": "Kim", "password": "longenough", "example_nickname": "n" * 41,
        "csrf_token": csrf_token(client, "/admin/users"),
    })
    assert response.status_code == 422
    assert "At most 40 characters." in response.get_data(as_text=True)
    assert ">kim<" not in client.get("/admin/users").get_data(as_text=True)


def test_the_last_admin_refusal_is_shown_on_the_user_page(client, login):
    login(client, "admin")
    page = client.get("/admin/users").get_data(as_text=True)
    admin_id = re.search(r'href="/admin/users/(\d+)">admin<', page).group(1)
    edit = f"/admin/users/{admin_id}"
    response = client.post(edit, data={"name": "Ada Admin", "role_sales": "1", "active": "1",
                                       "csrf_token": csrf_token(client, edit)})
    assert response.status_code == 409
    assert "Admin is the last active admin" in response.get_data(as_text=True)


def test_health_is_503_until_the_database_is_initialised(comptoir_db, tmp_path):
    from web import create_app

    app = create_app({**comptoir_db, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})
    response = app.test_client().get("/health")
    assert response.status_code == 503
    assert response.json["database"] == "not initialised"


def test_an_unpaired_surrogate_in_json_is_a_422_per_field(client, registry):
    with registry.session_factory() as session, session.begin():
        _token, secret = users.create_token(session, users.find_user(session, "sales"), "t")
    response = client.post("/api/v1/example/notes", data='{"text": "Hi\\ud800x"}',
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {
        "text": ["Must not contain an unpaired surrogate."]}


def test_an_api_body_that_is_not_json_is_a_415(client, registry):
    with registry.session_factory() as session, session.begin():
        _token, secret = users.create_token(session, users.find_user(session, "sales"), "t")
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.post("/api/v1/example/notes", data={"text": "Hi"}, headers=headers)
    assert response.status_code == 415
    assert client.post("/api/v1/example/notes", data={"text": "H\x00i"},
                       headers=headers).status_code == 415, "whatever the form holds"
    # A server reading chunked bodies says so, as gunicorn does.
    chunked = client.post("/api/v1/example/notes", input_stream=BytesIO(b"text=Hi"),
                          content_type="application/x-www-form-urlencoded",
                          headers={**headers, "Transfer-Encoding": "chunked"},
                          environ_overrides={"wsgi.input_terminated": True})
    assert chunked.status_code == 415
    nothing = client.post("/api/v1/example/notes", input_stream=BytesIO(b""),
                          headers={**headers, "Transfer-Encoding": "chunked"},
                          environ_overrides={"wsgi.input_terminated": True})
    assert nothing.status_code != 415, "an empty chunked body is no body"
    assert response.json["message"] == ("The API takes JSON bodies: send Content-Type: "
                                        "application/json.")
    assert client.post("/api/v1/example/notes", json={"text": "Hi"},
                       headers=headers).status_code == 201


@pytest.mark.parametrize(("body", "message"), [
    (b'{"text": "a", "n": 1' + b"0" * 5000 + b"}",
     "A number in the body has more digits than can be read (4,300 at most)."),
    (b'{"text": "a", "n": ' + b"[" * 5000 + b"]" * 5000 + b"}",
     "The body nests arrays or objects more than 100 deep."),
    *((b'{"text": "a", "n": ' + b"[" * depth + b"]" * depth + b"}",
       "The body nests arrays or objects more than 100 deep.") for depth in (100, 940, 968)),
    (b'{"text": "\xff"}', "Invalid JSON body."),
])
def test_a_body_json_cannot_read_is_a_400(client, registry, body, message):
    with registry.session_factory() as session, session.begin():
        _token, secret = users.create_token(session, users.find_user(session, "sales"), "t")
    response = client.post("/api/v1/example/notes", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 400
    assert response.json["errors"] == {"json": [message]}


def test_a_body_nesting_100_deep_is_read(client, registry):
    with registry.session_factory() as session, session.begin():
        _token, secret = users.create_token(session, users.find_user(session, "sales"), "t")
    body = b'{"text": "a", "n": ' + b"[" * 99 + b"]" * 99 + b"}"
    response = client.post("/api/v1/example/notes", data=body, content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 422 and "n" in response.json["errors"]["json"], \
        "read, and refused by the view's schema for a field it does not know"
