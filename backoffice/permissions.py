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
        return needed is not None and request.user.has_perms(needed)
