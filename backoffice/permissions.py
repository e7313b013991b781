from rest_framework import permissions


def acting_user(user):
    """The user to record on what they did: None for nobody or an anonymous visitor."""
    return user if user is not None and user.is_authenticated else None


class RolePermission(permissions.BasePermission):
    """Each view names the model permissions each viewset action (or HTTP method) needs in
    `required_perms` ({"create": ["orders.add_order"], ...}); the role groups grant them."""

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        required = getattr(view, "required_perms", None)
        if required is None:
            return False  # a view that names no permission is closed, not open
        key = getattr(view, "action", None) or ("GET" if request.method in ("HEAD", "OPTIONS") else request.method)
        needed = required.get(key)
        if needed is None:
            return False
        missing = [permission for permission in needed if not request.user.has_perm(permission)]
        if missing:
            # Name what the role lacks, so the shop's admin knows which role to grant.
            self.message = f"This needs the permission {', '.join(missing)}, which your role does not grant."
            return False
        return True
