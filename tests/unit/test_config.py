from addin.config import Config


def test_serve_names_every_missing_entra_setting():
    missing = Config.from_env({}).missing_for_serve()
    assert missing == ["DEALPANE_TOKEN_ISSUER", "DEALPANE_API_AUDIENCE", "DEALPANE_JWKS_URL"]


def test_serve_accepts_a_complete_entra_configuration():
    env = {
        "DEALPANE_TOKEN_ISSUER": "https://login.microsoftonline.com/{tenantid}/v2.0",
        "DEALPANE_API_AUDIENCE": "api://dealpane",
        "DEALPANE_JWKS_URL": "https://login.microsoftonline.com/common/discovery/v2.0/keys",
    }
    assert Config.from_env(env).missing_for_serve() == []


def test_configuration_comes_from_dealpane_variables_only():
    config = Config.from_env({"DEALPANE_DATABASE_URL": "postgresql+psycopg://db/x", "DEALPANE_AUTH_MODE": "DEV",
                              "DATABASE_URL": "ignored", "DEALPANE_ALLOWED_TENANTS": " a , b ,"})
    assert config.database_url == "postgresql+psycopg://db/x"
    assert config.auth_mode == "dev"
    assert config.allowed_tenants == ("a", "b")


def test_serve_refuses_dev_graph_tokens_outside_dev_auth():
    env = {"DEALPANE_TOKEN_ISSUER": "https://login.microsoftonline.com/{tenantid}/v2.0",
           "DEALPANE_API_AUDIENCE": "api://dealpane", "DEALPANE_JWKS_URL": "https://example.invalid/keys",
           "DEALPANE_GRAPH_AUTH": "dev"}
    assert any("DEALPANE_GRAPH_AUTH" in m for m in Config.from_env(env).missing_for_serve())
    assert Config.from_env({**env, "DEALPANE_AUTH_MODE": "dev"}).missing_for_serve() == []
