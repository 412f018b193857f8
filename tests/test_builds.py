"""Routes are really added and removed: a disabled module's code never runs, broken ones are
refused at enable time and harm nobody while merely installed."""

import pytest
from sqlalchemy.orm import Session
from werkzeug.routing import Map, Rule

from core import modules
from core.errors import ValidationError
from core.models import ModuleState
from web.converters import IdConverter
from web.routing import LazyBuilderRule


def test_nested_blueprints_and_app_wide_hooks_follow_the_module(make_app, login):
    app = make_app()
    client = app.test_client()
    login(client, "admin")
    assert client.get("/leaky/child/").status_code == 404
    assert "X-Leaky" not in client.get("/").headers, "a disabled module's hook never runs"

    modules.enable(app.extensions["comptoir"], "leaky")
    assert client.get("/leaky/child/").get_data(as_text=True) == "leaky child"
    assert client.get("/").headers["X-Leaky"] == "ran"

    modules.disable(app.extensions["comptoir"], "leaky")
    assert client.get("/leaky/child/").status_code == 404
    assert client.get("/leaky/").status_code == 404
    assert "X-Leaky" not in client.get("/").headers


def test_a_disabled_module_does_not_shadow_an_enabled_one(make_app, login):
    app = make_app(modules=["shadow"])
    client = app.test_client()
    login(client, "sales")
    assert client.get("/example/").get_data(as_text=True) == "shadow answers"
    modules.disable(app.extensions["comptoir"], "shadow")
    assert client.get("/example/").status_code == 404


def test_routes_clashing_with_the_kernel_are_refused_by_name(registry):
    with pytest.raises(ValidationError, match="module 'clash_admin': its routes cannot be added"):
        modules.enable(registry, "clash_admin")
    assert registry.enabled == ()


def test_an_order_type_or_invoice_kind_code_taken_is_refused(registry):
    modules.enable(registry, "invoicing")
    preview = modules.preview(registry, "clash_kind")
    assert preview.problems == [
        "order type 'sales' is contributed by both sales and clash_kind; "
        "invoice kind 'free_text' is contributed by both invoicing and clash_kind"]
    with pytest.raises(ValidationError, match="invoice kind 'free_text' is contributed by both"):
        modules.enable(registry, "clash_kind")
    assert "clash_kind" not in registry.enabled


def test_a_code_clash_enabled_already_leaves_other_modules_to_be_enabled(registry):
    modules.enable(registry, "invoicing")
    with Session(registry.engine) as session, session.begin():  # as a former version allowed
        session.merge(ModuleState(name="clash_kind", enabled=True,
                                  version=registry.installed["clash_kind"].manifest.version))
        modules.bump_registry_version(session)
    registry.refresh()
    assert modules.enable(registry, "leaky") == ["leaky"]


def test_a_module_failing_to_build_its_pages_is_refused(registry):
    with pytest.raises(ValidationError, match="boom_routes cannot build its pages"):
        modules.enable(registry, "boom_routes")
    assert registry.enabled == ()


def test_a_menu_entry_pointing_nowhere_is_refused(registry):
    expected = "module 'bad_menu': menu entry 'Nowhere' points to 'bad_menu.missing'"
    with pytest.raises(ValidationError, match=expected):
        modules.enable(registry, "bad_menu")


def test_broken_installed_modules_harm_nobody(make_app, comptoir_modules, login):
    comptoir_modules["wrong_name"] = "tests.modules.example"  # manifest says "example"
    comptoir_modules["vanished"] = "tests.modules.no_such_package"
    app = make_app(modules=["example"])
    client = app.test_client()
    login(client, "admin")
    assert client.get("/example/").status_code == 200
    listed = client.get("/admin/modules").get_data(as_text=True)
    assert "boom_routes" in listed and "wrong_name" not in listed and "vanished" not in listed


def test_openapi_document_has_no_trace_of_disabled_modules(make_app):
    app = make_app(modules=["example"])
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").json
    assert "Note" in spec["components"]["schemas"]
    modules.disable(app.extensions["comptoir"], "example")
    spec = client.get("/api/v1/openapi.json").json
    assert "/api/v1/example/notes" not in spec["paths"]
    assert "Note" not in spec["components"]["schemas"]
    assert "example_api" not in [tag["name"] for tag in spec["tags"]]


def test_a_failing_command_hook_does_not_take_the_command_line_down(make_app):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from web.cli import main

    app = make_app(modules=["bad_commands"])
    result = CliRunner().invoke(main, ["--help"], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 0
    assert "modules" in result.output


def test_a_menu_entry_whose_page_needs_arguments_is_refused(registry):
    with pytest.raises(ValidationError, match="module 'arg_menu': menu entry 'Item' points to"):
        modules.enable(registry, "arg_menu")


def test_an_enabled_module_gone_bad_does_not_block_enabling_others(make_app, comptoir_modules,
                                                                   login):
    make_app(modules=["example"])
    comptoir_modules["example"] = "tests.broken.example_routes"  # a bad release installed
    app = make_app()
    assert modules.enable(app.extensions["comptoir"], "leaky") == ["leaky"]
    client = app.test_client()
    login(client, "admin")
    assert client.get("/leaky/").status_code == 200
    assert client.get("/example/").status_code == 404, "left out, logged"


def test_builds_share_the_instance_folder(app):
    assert app.current_build().instance_path == app.instance_path


def test_a_menu_hook_that_starts_raising_breaks_no_page(make_app, login, monkeypatch):
    app = make_app(modules=["menu_raises", "example"])
    client = app.test_client()
    login(client, "admin")
    monkeypatch.setenv("MENU_RAISES", "1")
    page = client.get("/admin/modules")
    assert page.status_code == 200
    assert 'href="/example/"' in page.get_data(as_text=True), "other modules' entries stay"


def test_the_preview_says_when_enabling_would_be_refused(registry, client, login):
    assert modules.preview(registry, "example").problems == []
    [problem] = modules.preview(registry, "arg_menu").problems
    assert problem.startswith("module 'arg_menu': menu entry 'Item' points to")
    login(client, "admin")
    page = client.get("/admin/modules/arg_menu/preview").get_data(as_text=True)
    assert "Enabling would be refused" in page
    assert "Enable arg_menu</button>" not in page


@pytest.mark.parametrize("endpoint, values", [
    ("plain", {}), ("plain", {"page": 2, "q": "a b"}), ("one", {"item_id": 7}),
    ("one", {"item_id": 7, "next": "/x?y=1"}), ("two", {"name": "é/ü", "item_id": 3}),
    ("defaulted", {}), ("defaulted", {"page": 2}), ("named_rule", {"rule": "a"}),
])
def test_urls_are_built_the_same_by_builders_compiled_on_first_use(endpoint, values):
    def urls(rule_class):
        url_map = Map([
            rule_class("/plain", endpoint="plain"),
            rule_class("/items/<id:item_id>", endpoint="one"),
            rule_class("/by/<name>/items/<id:item_id>/", endpoint="two"),
            rule_class("/docs/<kind>", endpoint="defaulted", defaults={"kind": "html"}),
            rule_class("/rules/<rule>", endpoint="named_rule"),
        ], converters={"id": IdConverter})
        adapter = url_map.bind("example.com")
        return [adapter.build(endpoint, values, force_external=external, append_unknown=unknown)
                for _ in range(2) for external in (False, True) for unknown in (False, True)]

    assert urls(LazyBuilderRule) == urls(Rule)
