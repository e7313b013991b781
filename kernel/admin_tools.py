"""Small helpers the admin classes share: the permission a page, button or action needs,
read-only and one-row admins, lists of a million rows, a confirmation page for actions, links."""

import functools

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from import_export.admin import ImportExportMixin

from kernel import formats


def require(request, *permissions):
    """Refuse (the styled 403 page, naming what is missing) unless the user holds every one of
    `permissions` ("app.codename", the codenames the API asks for the same act)."""
    missing = [permission for permission in permissions if not request.user.has_perm(permission)]
    if missing:
        raise PermissionDenied(
            _("This needs the permission %(permissions)s, which your role does not grant.")
            % {"permissions": ", ".join(missing)}
        )


def admin_page(site, view, *permissions):
    """A page an admin adds (get_urls) or puts beside the admin: staff only (anyone else goes
    to the login page), and only with `permissions`. Every such page is made here, so what it
    needs is stated where its URL is, and travels with the view (`required_perms`) for the
    test that walks every admin page as every role (tests/test_admin_role_walk.py)."""

    @functools.wraps(view)
    def page(request, *args, **kwargs):
        require(request, *permissions)
        return view(request, *args, **kwargs)

    page.required_perms = permissions
    return site.admin_view(page)


def role_permission(*permissions):
    """A ModelAdmin's `has_<name>_permission` for an action or button of its own (ship,
    receive, send an update): whether the user holds `permissions`, stated as data the role
    walk reads (`required_perms`)."""

    def has_permission(model_admin, request, obj=None):
        return request.user.has_perms(permissions)

    has_permission.required_perms = permissions
    return has_permission


class ImportExportByRole(ImportExportMixin):
    """Import and export of a list (products, suppliers) by role: an import creates and
    changes rows, so it needs the model's add and change permissions; an export reads them,
    so view. (django-import-export's default lets every staff login do both.)"""

    def has_import_permission(self, request):
        return self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)


def money_column(field, description):
    """A column (list or read-only field) showing the amount `field` as money in the reader's
    language ("€4,713.50", "4.713,50 €"): Django's own shows a bare "4713.50". Name the
    attribute differently from the field, which Django would otherwise show itself."""

    @admin.display(description=description, ordering=field)
    def column(model_admin, obj):
        return formats.money(getattr(obj, field))

    return column


class ChoicesListFilter(admin.ChoicesFieldListFilter):
    """A choice field's list filter (status, kind, language) that takes only its choices:
    another value, a NUL say (which PostgreSQL refuses with an error, a 500), is an invalid
    filter, answered as Django answers an unknown lookup: the list without filters ("?e=1").
    kernel.apps puts it before Django's for every choice field of every admin."""

    def queryset(self, request, queryset):
        choices = {str(value) for value, _label in self.field.flatchoices if value is not None}
        if any(value not in choices for value in self.lookup_val or ()):
            raise IncorrectLookupParameters(f"{self.lookup_kwarg} is not one of the choices")
        return super().queryset(request, queryset)


class CappedPaginator(Paginator):
    """Counts up to `cap` rows and no further: a list over a year of data says "more than
    10,000" instead of counting every row on every page load."""

    cap = 10_000

    @cached_property
    def count(self):
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @property
    def capped(self):
        return self.count > self.cap


class LargeTableAdmin(admin.ModelAdmin):
    """A list that grows by the year: capped counts (templates/admin/pagination.html says
    "more than"), no full count next to the search, and a date drill-down that reads the
    first and last date instead of scanning for distinct ones (backoffice/templatetags/drilldown.py)."""

    paginator = CappedPaginator
    show_full_result_count = False
    list_per_page = 50  # a laptop screen shows about 25; each row costs Django about 1 ms to render

    @admin.display(description=mark_safe('<input type="checkbox" id="action-toggle">'))
    def action_checkbox(self, obj):
        # Django renders a form widget template per row: a third of a 100-row page.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            admin.helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), obj),
        )


class ReadOnlyAdmin(LargeTableAdmin):
    """Records the system writes (ledgers, history, the outbox): staff read them, never edit."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SingleRowAdmin(admin.ModelAdmin):
    """A one-row policy (kernel.models.SingleRow): the list goes straight to the row, to
    those who may see it; the row shows its defaults if it is gone (saving writes it); no
    adding, no deleting."""

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.model.current().pk])
        )

    def get_object(self, request, object_id, from_field=None):
        row = self.model.current()
        return row if str(row.pk) == str(object_id) else None

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class Text(forms.Widget):
    """A form row's subject as words staff read (the line, the order), not a greyed box they
    might try to type in."""

    def render(self, name, value, attrs=None, renderer=None):
        return format_html("<span>{}</span>", value or "")


def confirm_action(modeladmin, request, queryset, *, title, items, form=None, formset=None, button, scan=False):
    """Render the confirmation step of an admin action; the action runs when the page is
    submitted with `apply`. Selected ids travel in the form like Django's delete action.
    "Back" returns to the page the action was started from, the list's filters and all (an
    admin whose action also runs from a page of one object says where in `back_url`). With
    `scan`, a box above the formset counts a scanned (or typed) SKU, Enter after each, as one
    more unit on the row whose hidden `sku` field it matches, in any case."""
    back = modeladmin.back_url(request) if hasattr(modeladmin, "back_url") else request.get_full_path()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": modeladmin.model._meta,
        "items": items,
        "form": form,
        "formset": formset,
        "button": button,
        "scan": scan,
        "back": back,
        "action": request.POST.get("action"),
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/confirm_action.html", context)


def admin_link(obj, text=None):
    if obj is None:
        return "-"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else str(obj))


def changelist_link(model, text, **filters):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    return format_html('<a href="{}?{}">{}</a>', url, query, text)
