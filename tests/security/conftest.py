"""The integration suite's fixtures, offered to every security test by name.

Imported here once, rather than in each module, so that a test's parameters do not redefine
names its own module imported.
"""

from tests.integration.accounts.conftest import tenants
from tests.integration.conftest import api, client, school, settings, svc

__all__ = ["api", "client", "school", "settings", "svc", "tenants"]
