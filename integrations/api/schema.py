"""OpenAPI: describe how intake endpoints authenticate (the integration's token)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class IntakeTokenScheme(OpenApiAuthenticationExtension):
    target_class = "integrations.api.auth.IntakeTokenAuthentication"
    name = "IntakeToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The integration's token as a bearer credential (Alertmanager: "
            "http_config.authorization.credentials). Basic credentials work too, with the "
            "token as the password (Alertmanager: http_config.basic_auth).",
        }
