"""Builds the ServiceOps client from settings (the client itself knows nothing of settings)."""

from __future__ import annotations

from typing import Any

from bot.config import Settings
from bot.metrics import observe_serviceops
from bot.serviceops import ApiKey, PasswordGrant, ServiceOpsClient


def build_serviceops_client(settings: Settings, *, cache: Any = None) -> ServiceOpsClient:
    """A client for `SERVICEOPS_URL` with API-key or password-grant auth, as configured."""
    auth: ApiKey | PasswordGrant
    if settings.serviceops_api_key is not None:
        auth = ApiKey(settings.serviceops_api_key.get_secret_value())
    else:
        # Settings validation guarantees all four when there is no API key.
        assert settings.serviceops_client_id is not None
        assert settings.serviceops_username is not None
        assert settings.serviceops_client_secret is not None
        assert settings.serviceops_password is not None
        auth = PasswordGrant(
            client_id=settings.serviceops_client_id,
            client_secret=settings.serviceops_client_secret.get_secret_value(),
            username=settings.serviceops_username,
            password=settings.serviceops_password.get_secret_value(),
        )
    return ServiceOpsClient(
        settings.serviceops_url,
        auth=auth,
        cache=cache,
        connect_timeout=settings.serviceops_connect_timeout,
        read_timeout=settings.serviceops_read_timeout,
        ca_bundle=settings.serviceops_ca_bundle,
        portal_url_template=settings.serviceops_portal_url_template,
        token_path=settings.serviceops_token_path,
        api_path=settings.serviceops_api_path,
        observer=observe_serviceops,
    )
