"""The API serves the built web UI at /: its files, index.html for the UI's own routes, and a page that
says how to build it when it is missing; API paths keep their JSON answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import Settings
from tests.support.stack import Stack

INDEX = "<!doctype html><title>built UI</title>"


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    built = tmp_path / "dist"
    (built / "assets").mkdir(parents=True)
    (built / "index.html").write_text(INDEX)
    (built / "assets" / "index-3f2a.js").write_text("console.log('app')")
    (tmp_path / "secret.txt").write_text("outside the build")
    return settings.model_copy(update={"ui_dir": built})


async def test_client_side_routes_get_the_index_page_uncached(stack: Stack) -> None:
    for path in ("/", "/incidents", "/incidents/inc-1", "/runbooks/new"):
        response = await stack.http.get(f"{stack.url}{path}")
        assert response.status_code == 200, path
        assert response.text == INDEX
        assert response.headers["cache-control"] == "no-cache"


async def test_hashed_assets_are_cached_for_good_and_a_missing_one_is_a_404(stack: Stack) -> None:
    asset = await stack.http.get(f"{stack.url}/assets/index-3f2a.js")
    assert asset.status_code == 200 and asset.text == "console.log('app')"
    assert "immutable" in asset.headers["cache-control"]
    assert (await stack.http.get(f"{stack.url}/assets/index-old.js")).status_code == 404


async def test_api_paths_never_fall_back_to_the_page(stack: Stack) -> None:
    for path in ("/api/no-such-route", "/api", "/webhooks/x", "/openapi.jsonx"):
        response = await stack.http.get(f"{stack.url}{path}")
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not Found"}
    assert (await stack.http.post(f"{stack.url}/incidents")).status_code == 404


async def test_files_outside_the_build_are_not_served(stack: Stack) -> None:
    response = await stack.http.get(f"{stack.url}/..%2Fsecret.txt")
    assert "outside the build" not in response.text


async def test_without_a_build_the_page_says_how_to_make_one(stack: Stack, tmp_path: Path) -> None:
    (tmp_path / "dist" / "index.html").unlink()
    response = await stack.http.get(f"{stack.url}/incidents")
    assert response.status_code == 503
    assert "make ui" in response.text
