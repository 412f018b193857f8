"""Two application instances (two workers) on one database: changes reach both, no restart."""

from core import modules


def test_module_routes_menu_and_api_follow_the_database_in_every_worker(make_app, login):
    first, second = make_app(), make_app()
    one, two = first.test_client(), second.test_client()
    login(one, "admin")
    login(two, "admin")
    assert two.get("/example/").status_code == 404
    assert "/api/v1/example/notes" not in two.get("/api/v1/openapi.json").json["paths"]
    assert "Notes" not in two.get("/").get_data(as_text=True)

    modules.enable(first.extensions["comptoir"], "example")  # through the first worker

    page = two.get("/example/")
    assert page.status_code == 200
    assert '<a href="/example/"' in two.get("/").get_data(as_text=True), "menu entry shown"
    spec = two.get("/api/v1/openapi.json").json
    assert "/api/v1/example/notes" in spec["paths"]
    assert "example_api" in [tag["name"] for tag in spec["tags"]]
    assert second.extensions["comptoir"].enabled == ("example",)

    modules.disable(second.extensions["comptoir"], "example")  # through the second worker

    assert one.get("/example/").status_code == 404
    assert "/api/v1/example/notes" not in one.get("/api/v1/openapi.json").json["paths"]
    assert '<a href="/example/"' not in one.get("/").get_data(as_text=True)
    assert first.extensions["comptoir"].enabled == ()


def test_a_request_costs_one_query_to_check_the_registry(make_app, login):
    from core.testing import count_queries

    app = make_app(modules=["example"])
    client = app.test_client()
    login(client, "admin")
    engine = app.extensions["comptoir"].engine
    with count_queries(engine) as statements:
        client.get("/health")
    registry_reads = [s for s in statements if "core_registry" in s]
    assert len(registry_reads) == 1


def test_two_workers_enabling_at_once_take_turns(make_app):
    import threading

    registries = [make_app().extensions["comptoir"] for _ in range(2)]
    results, errors = [], []

    def enable(registry):
        try:
            results.append(modules.enable(registry, "chain_top"))
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=enable, args=(r,)) for r in registries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == [[], ["example", "example_ext", "chain_top"]]
    for registry in registries:
        registry.refresh()
        assert registry.enabled == ("example", "example_ext", "chain_top")
