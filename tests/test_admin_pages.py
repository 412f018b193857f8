"""The admin pages: modules with preview, enable and disable; users; API tokens."""

import re

import pytest

from core.testing import csrf_token


def post(client, path, data=None, page="/admin/modules"):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page)})


def test_module_page_lists_modules_with_their_state(client, login):
    login(client, "admin")
    page = client.get("/admin/modules").get_data(as_text=True)
    row = re.search(r'<tr id="module-chain_top">.*?</tr>', page, re.S).group(0)
    assert "Chain top" in row and "example_ext" in row and "not enabled" in row
    assert "/admin/modules/chain_top/preview" in row


def test_preview_then_enable_then_disable_from_the_admin_page(client, login):
    login(client, "admin")
    preview = client.get("/admin/modules/chain_top/preview").get_data(as_text=True)
    assert re.search(r"<ol>.*example.*example_ext.*chain_top.*</ol>", preview, re.S)
    assert "example_0001: Create the notes table." in preview
    assert "comptoir_base_prices" in preview
    assert "<strong>example_ext</strong> answers first, before example" in preview

    response = post(client, "/admin/modules/chain_top/enable",
                    page="/admin/modules/chain_top/preview")
    assert response.status_code == 302
    page = client.get("/admin/modules").get_data(as_text=True)
    assert "Enabled: example, example_ext, chain_top." in page
    assert 'href="/example/"' in page, "the new module's menu entry appears at once"

    refused = post(client, "/admin/modules/example/disable")
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "cannot be disabled: chain_top, example_ext depend on it" in page
    assert '<tr id="module-example">' in page, "the list is shown with the reason"

    assert post(client, "/admin/modules/chain_top/disable").status_code == 302
    assert "Disabled: chain_top. Its data is kept" in client.get("/admin/modules").get_data(
        as_text=True)


def test_failed_enable_shows_the_reason(client, login):
    login(client, "admin")
    response = post(client, "/admin/modules/bad_migration/enable")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Enabling &#39;bad_migration&#39; failed, nothing was changed" in page
    row = re.search(r'<tr id="module-example">.*?</tr>', page, re.S).group(0)
    assert "not enabled" in row


def test_admin_creates_a_user_who_can_log_in(client, login, app):
    login(client, "admin")
    response = post(client, "/admin/users", {
        "login": "nina", "name": "Nina", "password": "longenough", "role_marketing": "1",
    }, page="/admin/users")
    assert response.status_code == 302
    page = client.get("/admin/users").get_data(as_text=True)
    assert "User nina created." in page
    other = app.test_client()
    login(other, "nina", "longenough")
    assert other.get("/admin/users").status_code == 403
    assert "Nina" in other.get("/").get_data(as_text=True)


def test_user_form_refuses_text_too_long_for_the_database(client, login):
    login(client, "admin")
    response = post(client, "/admin/users", {"login": "x" * 65, "name": "n" * 129,
                                             "password": "longenough"}, page="/admin/users")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "At most 64 characters." in page and "At most 128 characters." in page


def test_user_form_shows_field_errors_and_saves_nothing(client, login):
    login(client, "admin")
    response = post(client, "/admin/users", {"login": "admin", "name": "", "password": "x"},
                    page="/admin/users")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<span class="field-error">Required.</span>' in page
    assert page.count("<tr><td><a href=\"/admin/users/") == 4, "still only the demo users"


def test_admin_edits_roles_and_deactivates(client, login, app):
    login(client, "admin")
    page = client.get("/admin/users").get_data(as_text=True)
    sales_id = re.search(r'href="/admin/users/(\d+)">sales<', page).group(1)
    response = post(client, f"/admin/users/{sales_id}",
                    {"name": "Sam S.", "role_accounting": "1"}, page=f"/admin/users/{sales_id}")
    assert response.status_code == 302
    assert "Sam S." in client.get("/admin/users").get_data(as_text=True)
    other = app.test_client()
    token = csrf_token(other)
    refused = other.post("/login", data={"login": "sales", "password": "salessales",
                                         "csrf_token": token})
    assert refused.status_code == 401, "inactive users cannot log in"


def test_admin_creates_and_revokes_a_token(client, login):
    login(client, "admin")
    page = client.get("/admin/tokens").get_data(as_text=True)
    sales_id = re.search(r'<option value="(\d+)">sales</option>', page).group(1)
    response = post(client, "/admin/tokens", {"user_id": sales_id, "name": "shop"},
                    page="/admin/tokens")
    page = response.get_data(as_text=True)
    secret = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).json["login"] == "sales"
    token_id = re.search(r'action="/admin/tokens/(\d+)/revoke"', page).group(1)
    assert post(client, f"/admin/tokens/{token_id}/revoke", page="/admin/tokens").status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert secret not in client.get("/admin/tokens").get_data(as_text=True), "shown once only"


@pytest.mark.parametrize(("user_id", "message"), [
    ("abc", "Not a valid integer."), ("99999999999", "Must be greater than or equal to 1"),
    ("424242", "no user with id 424242"), (None, '<span class="field-error">Required.</span>'),
])
def test_token_form_refuses_a_bad_user_with_a_message(client, login, user_id, message):
    login(client, "admin")
    response = post(client, "/admin/tokens", {"user_id": user_id, "name": "x"},
                    page="/admin/tokens")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert "No token yet." in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["", "   "])
def test_token_form_says_a_name_left_empty_is_required(client, login, name):
    login(client, "admin")
    page = client.get("/admin/tokens").get_data(as_text=True)
    sales_id = re.search(r'<option value="(\d+)">sales</option>', page).group(1)
    response = post(client, "/admin/tokens", {"user_id": sales_id, "name": name},
                    page="/admin/tokens")
    assert response.status_code == 422
    assert '<span class="field-error">Required.</span>' in response.get_data(as_text=True)


def sales_user_id(client):
    page = client.get("/admin/users").get_data(as_text=True)
    return re.search(r'href="/admin/users/(\d+)">sales<', page).group(1)


def test_enabled_modules_add_fields_to_the_user_form(make_app, login):
    app = make_app()
    client = app.test_client()
    login(client, "admin")
    user_id = sales_user_id(client)
    assert "Nickname" not in client.get(f"/admin/users/{user_id}").get_data(as_text=True)

    from core import modules
    modules.enable(app.extensions["comptoir"], "example")
    edit = f"/admin/users/{user_id}"
    assert 'name="example_nickname"' in client.get(edit).get_data(as_text=True)

    form = {"name": "Sam Sales", "role_sales": "1", "active": "1", "example_nickname": "Sammy",
            "example_level": "2"}
    assert post(client, edit, form, page=edit).status_code == 302
    assert 'name="example_nickname" value="Sammy"' in client.get(edit).get_data(as_text=True)

    bad = post(client, edit, {**form, "name": "", "example_level": "9"}, page=edit)
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert page.count('class="field-error"') == 2, "kernel and module fields checked together"
    assert "Not one of the choices." in page

    modules.disable(app.extensions["comptoir"], "example")
    assert "Nickname" not in client.get(edit).get_data(as_text=True)
    modules.enable(app.extensions["comptoir"], "example")
    assert 'value="Sammy"' in client.get(edit).get_data(as_text=True), "kept while disabled"


def test_a_module_failing_to_save_its_field_rolls_the_whole_form_back(make_app, login):
    client = make_app(modules=["example"]).test_client()
    login(client, "admin")
    edit = f"/admin/users/{sales_user_id(client)}"
    form = {"name": "Renamed", "role_sales": "1", "active": "1", "example_nickname": "boom"}
    with pytest.raises(ValueError, match="example refuses this nickname"):
        post(client, edit, form, page=edit)  # a 500 page outside TESTING
    assert "Renamed" not in client.get("/admin/users").get_data(as_text=True)
