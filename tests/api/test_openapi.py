"""The OpenAPI document is generated from the code, valid, and describes every API route."""
import re

from openapi_spec_validator import validate


def test_openapi_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    validate(document)


def test_every_api_route_is_documented(app, client):
    documented = client.get("/api/v1/openapi.json").get_json()["paths"]
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        if not path.startswith("/api/v1/") or path == "/api/v1/openapi.json":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in documented.get(path, {}), f"{method} {path} is not in the OpenAPI document"


def test_api_docs_page_is_served_without_a_cdn(client):
    page = client.get("/api/docs/swagger")
    assert page.status_code == 200
    assert b"swagger-ui-bundle.js" in page.data and b"https://" not in page.data


def test_every_422_is_documented_as_the_problem_json_it_is(client):
    """Validation errors answer problem+json with field paths (addin.errors.validation_problem), not
    flask-openapi3's default array: the document says so for every operation."""
    document = client.get("/api/v1/openapi.json").get_json()
    documented = [(path, method, response) for path, operations in document["paths"].items()
                  for method, operation in operations.items()
                  for status, response in operation.get("responses", {}).items() if status == "422"]
    assert len(documented) > 50
    for path, method, response in documented:
        assert list(response["content"]) == ["application/problem+json"], (method, path)
        assert response["content"]["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/Problem"}
