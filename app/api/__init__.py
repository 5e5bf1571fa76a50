"""The DeepCall API client (async, httpx). Import from the submodules:

- ``app.api.auth``: SsidAuth, TokenAuth, Auth
- ``app.api.client``: DeepCallClient, Timeouts
- ``app.api.errors``: DeepCallApiError and its subclasses (DeepCallError, TransportError ...)
- ``app.api.models``: RecentCall, Counters, CampaignCount
"""
