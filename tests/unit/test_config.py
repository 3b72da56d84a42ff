from addin.config import Config

CLIENT = "11111111-2222-3333-4444-555555555555"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def test_serve_names_every_missing_entra_setting():
    missing = Config.from_env({}).missing_for_serve()
    assert [m.split(" ")[0] for m in missing] == ["DEALPANE_CLIENT_ID", "DEALPANE_TENANT_ID"]


def test_serve_accepts_the_settings_of_the_readme_registration():
    env = {"DEALPANE_CLIENT_ID": CLIENT, "DEALPANE_TENANT_ID": TENANT,
           "DEALPANE_API_URI": f"api://dealpane.example/{CLIENT}"}
    config = Config.from_env(env)
    assert config.missing_for_serve() == []
    assert config.api_scope_uri == f"api://dealpane.example/{CLIENT}/access_as_user"
    assert config.spa_authority == f"https://login.microsoftonline.com/{TENANT}"
    assert config.signing_keys_url == "https://login.microsoftonline.com/common/discovery/v2.0/keys"


def test_the_application_id_uri_defaults_to_the_one_entra_proposes():
    # Entra's "Expose an API" > "Add" proposes api://{client id}.
    assert Config.from_env({"DEALPANE_CLIENT_ID": CLIENT}).api_scope_uri == f"api://{CLIENT}/access_as_user"
    # The name used before 0.2 still works.
    assert Config.from_env({"DEALPANE_CLIENT_ID": CLIENT, "DEALPANE_API_AUDIENCE": "api://x/"}).api_resource == "api://x"


def test_a_multi_tenant_app_signs_users_in_through_organizations():
    config = Config.from_env({"DEALPANE_CLIENT_ID": CLIENT, "DEALPANE_TENANT_ID": "organizations"})
    assert config.multi_tenant and config.missing_for_serve() == []
    assert config.spa_authority == "https://login.microsoftonline.com/organizations"


def test_a_tenant_named_by_its_domain_is_refused_by_serve():
    missing = Config.from_env({"DEALPANE_CLIENT_ID": CLIENT, "DEALPANE_TENANT_ID": "contoso.onmicrosoft.com"})\
        .missing_for_serve()
    assert len(missing) == 1 and "GUID" in missing[0]


def test_configuration_comes_from_dealpane_variables_only():
    config = Config.from_env({"DEALPANE_DATABASE_URL": "postgresql+psycopg://db/x", "DEALPANE_AUTH_MODE": "DEV",
                              "DATABASE_URL": "ignored", "DEALPANE_ALLOWED_TENANTS": " a , b ,"})
    assert config.database_url == "postgresql+psycopg://db/x"
    assert config.auth_mode == "dev"
    assert config.allowed_tenants == ("a", "b")


def test_serve_refuses_dev_graph_tokens_outside_dev_auth():
    env = {"DEALPANE_CLIENT_ID": CLIENT, "DEALPANE_TENANT_ID": TENANT, "DEALPANE_GRAPH_AUTH": "dev"}
    assert any("DEALPANE_GRAPH_AUTH" in m for m in Config.from_env(env).missing_for_serve())
    refused = Config.from_env({**env, "DEALPANE_AUTH_MODE": "dev"}).missing_for_serve()
    assert len(refused) == 1 and "DEALPANE_INSECURE_DEV_AUTH" in refused[0]  # dev auth: only when asked for
    insecure = {**env, "DEALPANE_AUTH_MODE": "dev", "DEALPANE_INSECURE_DEV_AUTH": "1"}
    assert Config.from_env(insecure).missing_for_serve() == []


def test_a_hand_written_issuer_is_noted_as_no_longer_read():
    env = {"DEALPANE_CLIENT_ID": CLIENT, "DEALPANE_TENANT_ID": TENANT,
           "DEALPANE_TOKEN_ISSUER": "https://login.microsoftonline.com/{tenantid}/v2.0"}
    assert Config.from_env(env).retired_settings == ("DEALPANE_TOKEN_ISSUER",)
    assert Config.from_env({}).retired_settings == ()
