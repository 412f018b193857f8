"""The REST API: kernel endpoints, module actions, JSON errors and the OpenAPI document."""

import pytest
from flask_smorest import Blueprint as ApiBlueprint

from core import users
from web.app import build_app


@pytest.fixture
def bearer(registry):
    """``bearer("admin")``: headers authenticating as that demo user."""

    def headers(login):
        with registry.session_factory() as session, session.begin():
            _token, secret = users.create_token(session, users.find_user(session, login), "t")
        return {"Authorization": f"Bearer {secret}"}

    return headers


def test_openapi_document_describes_kernel_endpoints_and_bearer_auth(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in ["/api/v1/me", "/api/v1/modules", "/api/v1/modules/{name}/enable",
                 "/api/v1/users", "/api/v1/users/{user_id}", "/api/v1/tokens"]:
        assert path in spec["paths"], path
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "/api/v1/example/notes" not in spec["paths"], "example is not enabled"


def test_every_operation_has_its_own_operation_id(make_app):
    app = make_app(["sales", "pricing", "fulfilment", "invoicing", "example", "example_ext"])
    paths = app.test_client().get("/api/v1/openapi.json").json["paths"]
    ids = [operation.get("operationId") for operations in paths.values()
           for method, operation in operations.items() if method != "parameters"]
    assert None not in ids and len(set(ids)) == len(ids)
    assert paths["/api/v1/users/{user_id}"]["patch"]["operationId"] == "patch_users_user_id"


def test_the_served_openapi_document_is_the_one_described_while_building(make_app):
    # Serving builds describe the API when the document is first read, checking builds as they
    # register each blueprint: both must give the same document.
    app = make_app(["example", "example_ext"])
    served = app.test_client().get("/api/v1/openapi.json")
    registry = app.extensions["comptoir"]
    checking = build_app(app.config, registry, registry.refresh(), strict=set(registry.enabled))
    described = checking.test_client().get("/api/v1/openapi.json")
    assert "/api/v1/example/notes" in served.json["paths"]
    assert served.get_data() == described.get_data()


def test_an_api_blueprint_that_cannot_be_described_is_left_out_of_the_document(
        make_app, monkeypatch, caplog):
    app = make_app(["example"])
    describe = ApiBlueprint.register_views_in_doc

    def failing(blueprint, *args, **kwargs):
        if kwargs["name"] == "example_api":
            raise ValueError("no description")
        return describe(blueprint, *args, **kwargs)

    monkeypatch.setattr(ApiBlueprint, "register_views_in_doc", failing)
    for _ in range(2):  # and it stays left out, without breaking the document
        response = app.test_client().get("/api/v1/openapi.json")
        assert response.status_code == 200
        assert "/api/v1/me" in response.json["paths"]
        assert "/api/v1/example/notes" not in response.json["paths"]
    assert "'example_api' cannot be described" in caplog.text


def test_modules_can_be_listed_previewed_enabled_and_disabled(client, bearer):
    admin = bearer("admin")
    listed = {m["name"]: m for m in client.get("/api/v1/modules", headers=admin).json}
    assert listed["example"]["enabled"] is False
    assert listed["chain_top"]["depends"] == ["example_ext"]

    preview = client.get("/api/v1/modules/chain_top/preview", headers=admin).json
    assert preview["to_enable"] == ["example", "example_ext", "chain_top"]
    assert preview["migrations"] == {"example": [
        "example_0001: Create the notes table.", "example_0002: Create the nicknames table."
    ]}

    response = client.post("/api/v1/modules/chain_top/enable", headers=admin)
    assert response.status_code == 200
    assert response.json == {"modules": ["example", "example_ext", "chain_top"]}
    assert "/api/v1/example/notes" in client.get("/api/v1/openapi.json").json["paths"]

    refused = client.post("/api/v1/modules/example/disable", headers=admin)
    assert refused.status_code == 409
    assert refused.json["message"] == (
        "module 'example' cannot be disabled: chain_top, example_ext depend on it"
    )
    assert refused.json["errors"] == {"json": {"dependents": ["chain_top", "example_ext"]}}

    response = client.post("/api/v1/modules/chain_top/disable", headers=admin)
    assert response.status_code == 200
    listed = {m["name"]: m for m in client.get("/api/v1/modules", headers=admin).json}
    assert [listed[n]["enabled"] for n in ("example", "example_ext", "chain_top")] == [
        True, True, False
    ]


def test_module_endpoint_answers_only_while_enabled(client, bearer):
    admin = bearer("admin")
    assert client.get("/api/v1/example/notes", headers=admin).status_code == 404
    client.post("/api/v1/modules/example/enable", headers=admin)
    created = client.post("/api/v1/example/notes", json={"text": "hello"}, headers=admin)
    assert created.status_code == 201
    assert client.get("/api/v1/example/notes", headers=admin).json == [
        {"id": created.json["id"], "text": "hello"}
    ]
    client.post("/api/v1/modules/example/disable", headers=admin)
    assert client.get("/api/v1/example/notes", headers=admin).status_code == 404


def test_unknown_module_is_404_and_failed_enable_says_why(client, bearer):
    admin = bearer("admin")
    response = client.post("/api/v1/modules/ghost/enable", headers=admin)
    assert response.status_code == 404
    assert response.json["message"] == "no module named 'ghost' is installed"
    response = client.post("/api/v1/modules/cycle_a/enable", headers=admin)
    assert response.status_code == 422
    assert "dependency cycle" in response.json["message"]
    response = client.post("/api/v1/modules/bad_hook/enable", headers=admin)
    assert response.status_code == 500
    assert "bad_hook refuses to start" in response.json["message"]
    assert not [m for m in client.get("/api/v1/modules", headers=admin).json if m["enabled"]]


def test_unknown_path_is_json_404(client, bearer):
    response = client.get("/api/v1/nothing-here", headers=bearer("sales"))
    assert response.status_code == 404
    assert response.json["code"] == 404


def test_non_admin_gets_403_as_json(client, bearer):
    response = client.get("/api/v1/modules", headers=bearer("sales"))
    assert response.status_code == 403
    assert (response.json["code"], response.json["status"]) == (403, "Forbidden")
    assert response.json["message"] == ("This needs the admin role; ask a user who has it, or "
                                         "an admin to give it to you.")


def test_invalid_body_gets_422_with_a_message_per_field(client, bearer):
    response = client.post("/api/v1/users", headers=bearer("admin"),
                           json={"login": "", "password": "short", "roles": ["boss"]})
    assert response.status_code == 422
    errors = response.json["errors"]["json"]
    assert set(errors) == {"login", "name", "password", "roles"}
    assert errors["name"] == ["Missing data for required field."]


def test_users_can_be_created_changed_and_read(client, bearer):
    admin = bearer("admin")
    created = client.post("/api/v1/users", headers=admin, json={
        "login": "zoe", "name": "Zoe", "password": "longenough", "roles": ["sales", "marketing"],
    })
    assert created.status_code == 201
    assert created.json["roles"] == ["marketing", "sales"]
    assert "password" not in created.json and "password_hash" not in created.json

    taken = client.post("/api/v1/users", headers=admin,
                        json={"login": "zoe", "name": "Z", "password": "longenough"})
    assert taken.status_code == 422
    assert taken.json["errors"]["json"]["login"] == ["'zoe' is already taken."]

    user_id = created.json["id"]
    changed = client.patch(f"/api/v1/users/{user_id}", headers=admin, json={"active": False})
    assert changed.json["active"] is False
    assert client.get(f"/api/v1/users/{user_id}", headers=admin).json["active"] is False
    assert client.get("/api/v1/users/9999", headers=admin).status_code == 404


def test_admin_creates_a_token_that_works_once_and_can_be_revoked(client, bearer):
    admin = bearer("admin")
    sales_id = [u for u in client.get("/api/v1/users", headers=admin).json
                if u["login"] == "sales"][0]["id"]
    created = client.post("/api/v1/tokens", headers=admin, json={"user_id": sales_id, "name": "x"})
    assert created.status_code == 201
    secret = created.json["secret"]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).json["login"] == "sales"
    revoked = client.post(f"/api/v1/tokens/{created.json['id']}/revoke", headers=admin)
    assert revoked.status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    again = client.post(f"/api/v1/tokens/{created.json['id']}/revoke", headers=admin)
    assert again.status_code == 409


@pytest.mark.parametrize("change", [{"roles": ["sales"]}, {"active": False}])
def test_the_last_active_admin_cannot_be_demoted(client, bearer, change):
    admin = bearer("admin")
    me = client.get("/api/v1/me", headers=admin).json
    response = client.patch(f"/api/v1/users/{me['id']}", headers=admin, json=change)
    assert response.status_code == 409
    assert "last active admin" in response.json["message"]
    assert client.get("/api/v1/me", headers=admin).json["roles"] == ["admin"]


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"login": "x" * 65}, "login", "Length must be between 1 and 64."),
    ({"login": "nul\x00byte"}, "login", "Must not contain a NUL character."),
    ({"name": "n\x00"}, "name", "Must not contain a NUL character."),
])
def test_text_the_database_cannot_hold_is_refused_per_field(client, bearer, body, field,
                                                           message):
    data = {"login": "ok", "name": "Ok", "password": "longenough", **body}
    response = client.post("/api/v1/users", headers=bearer("admin"), json=data)
    assert response.status_code == 422
    assert response.json["errors"]["json"][field] == [message]


def test_every_api_error_carries_a_message(client, bearer):
    assert client.get("/api/v1/me").json["message"]
    assert client.get("/api/v1/modules", headers=bearer("sales")).json["message"]
    assert client.get("/api/v1/nothing", headers=bearer("sales")).json["message"]


def test_two_admins_demoting_each_other_at_once_leave_one_admin(make_app):
    import threading


    app = make_app()
    registry = app.extensions["comptoir"]
    with registry.session_factory() as session, session.begin():
        second = users.create_user(session, "admin2", "Second Admin", "longenough", ["admin"])
        first = users.find_user(session, "admin")
        ids = [first.id, second.id]

    outcomes, both_loaded = [], threading.Barrier(2)

    def demote(user_id):
        try:
            with registry.session_factory() as session, session.begin():
                user = users.get_user(session, user_id)
                both_loaded.wait()
                users.update_user(session, user, roles=["sales"])
            outcomes.append("done")
        except Exception as exc:  # collected for the assertion below
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=demote, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with registry.session_factory() as session:
        admins = [u.login for u in users.list_users(session) if u.active and u.has_role("admin")
                  and "admin" in u.role_set]
    assert len(admins) == 1
    assert "done" in outcomes


def test_a_method_an_endpoint_does_not_take_is_a_405_saying_which_it_takes(client, bearer):
    response = client.delete("/api/v1/me", headers=bearer("sales"))
    assert response.status_code == 405 and response.json["code"] == 405
    assert "GET" in response.headers["Allow"] and response.mimetype == "application/json"


def test_every_pattern_in_the_document_is_a_json_schema_regular_expression(make_app):
    """OpenAPI's patterns are ECMA-262 expressions: Python's \\Z, say, is not one."""
    import jsonschema_rs

    def patterns(node):
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                yield node["pattern"]
            node = list(node.values())
        for child in node if isinstance(node, list) else ():
            yield from patterns(child)

    app = make_app(modules=["sales", "pricing", "fulfilment", "invoicing"])
    found = set(patterns(app.test_client().get("/api/v1/openapi.json").get_json()))
    assert found, "the document has patterns to check"
    for pattern in found:
        jsonschema_rs.validator_for({"type": "string", "pattern": pattern})  # raises if not


def test_a_page_refusing_a_method_says_which_it_takes(client, login):
    login(client, "admin")
    response = client.get("/logout")
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
