"""Who is calling, re-exported from the kernel (``engine/kernel/principal.py``) for the modules
that still import it from here; new code imports the kernel."""

from __future__ import annotations

from engine.kernel.principal import ROLES, STAFF_ROLES, Principal, Role

__all__ = ["ROLES", "STAFF_ROLES", "Principal", "Role"]
