"""OpenAPI: describe how intake endpoints authenticate (the integration's token)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class IntakeTokenScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.api.auth.IntakeTokenAuthentication"
    name = ["IntakeBearer", "IntakeBasic"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "http",
                "scheme": "bearer",
                "description": "The integration's token (Alertmanager: "
                "http_config.authorization.credentials).",
            },
            {
                "type": "http",
                "scheme": "basic",
                "description": "Any user name; the integration's token as the password "
                "(Alertmanager: http_config.basic_auth).",
            },
        ]
