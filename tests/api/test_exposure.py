"""What the app port exposes: no /metrics unless a token is configured (then only with it), the API docs
under a Content-Security-Policy, and no redirect that sends a caller to the host their Host header named."""
import pytest

from addin.app import create_app
from addin.page_security import docs_policy, relative_location

TOKEN = "a-long-random-metrics-token"


@pytest.fixture
def client_with(config, engine):
    def build(**settings):
        app = create_app(config.with_(**settings), engine=engine)
        app.config.update(TESTING=True)
        return app.test_client()
    return build


def test_metrics_are_not_on_the_app_port_by_default(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer anything"}).status_code == 404
    assert "/metrics" not in client.get("/api/v1/openapi.json").get_json()["paths"]


def test_metrics_on_the_app_port_need_the_configured_bearer_token(client_with):
    client = client_with(metrics_token=TOKEN)
    client.get("/healthz")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": f"Bearer {TOKEN[:-1]}"}):
        response = client.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert b"dealpane_http_request_seconds" not in response.data
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert b'dealpane_http_request_seconds_count{method="GET",route="/healthz",status="200"}' in response.data


@pytest.mark.parametrize("path", ["/api/docs/", "/api/docs/swagger", "/api/docs/oauth2-redirect.html",
                                  "/api/docs/openapi.json"])
def test_the_api_docs_pages_send_a_content_security_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "'unsafe-inline'" not in directives["script-src"] and "'unsafe-eval'" not in csp
    assert "http" not in csp  # nothing from a CDN
    assert directives["connect-src"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_docs_policy_allows_exactly_the_pages_own_inline_scripts():
    page = "<script>a()</script><script src='x.js'></script><div onclick=\"go()\"></div><style>b{}</style>"
    policy = docs_policy(page)
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert script_src.count("'sha256-") == 2 and "'unsafe-hashes'" in script_src  # a() and the handler go()
    assert docs_policy("<p>nothing inline</p>").startswith("default-src 'none'; script-src 'self'; ")


@pytest.mark.parametrize("path, expected", [("/api/docs", "/api/docs/"), ("/", "/workspace/")])
def test_a_redirect_never_names_the_host_the_request_named(client, path, expected):
    response = client.get(path, headers={"Host": "evil.example"})
    assert 300 <= response.status_code < 400
    location = response.headers["Location"]
    assert "evil.example" not in location
    assert location == expected


def test_the_root_opens_the_workspace_and_the_docs_stay_where_they_were(client):
    root = client.get("/")
    assert root.status_code == 302 and root.headers["Location"] == "/workspace/"
    assert client.get("/workspace/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.data.lower()


def test_a_trailing_slash_redirect_keeps_its_query_but_not_the_host(client):
    response = client.get("/api/docs?x=1", headers={"Host": "evil.example:8443"})
    assert response.status_code == 308
    assert response.headers["Location"] == "/api/docs/?x=1"


@pytest.mark.parametrize("location, host, expected", [
    ("http://evil.example/api/docs/", "evil.example", "/api/docs/"),
    ("https://EVIL.example:8443//x?a=1#f", "evil.example:8443", "/x?a=1#f"),  # never "//x": protocol-relative
    ("https://login.microsoftonline.com/common/oauth2", "evil.example", "https://login.microsoftonline.com/common/oauth2"),
    ("/api/docs/", "evil.example", "/api/docs/"),
])
def test_relative_location(location, host, expected):
    assert relative_location(location, host) == expected
