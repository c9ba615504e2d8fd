"""First sign-in of an invited rater: the one-time password must be replaced before anything else.

``PasswordChangeRequiredMiddleware`` sends a rater whose ``password_change_required`` flag is set
to Django's password change page for every page but that one, signing out and static files;
``RaterPasswordChangeView`` clears the flag once the new password is stored.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy

from .selectors import rater_needs_password_change
from .services.raters import rater_password_changed


CLEARED_KEY = "anchor_password_ok"


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not self._exempt(request.path) \
                and self._needs_change(request, user):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": "choose a new password first (/accounts/password_change/)"},
                                    status=403)
            return redirect(f"{reverse('password_change')}?first=1")
        return self.get_response(request)

    @staticmethod
    def _needs_change(request, user) -> bool:
        # The flag is only ever cleared, so once clear it is remembered in the session: one query
        # per session, not per request.
        if request.session.get(CLEARED_KEY) == user.pk:
            return False
        if rater_needs_password_change(user):
            return True
        request.session[CLEARED_KEY] = user.pk
        return False

    @staticmethod
    def _exempt(path: str) -> bool:
        from django.conf import settings

        allowed = (reverse("password_change"), reverse("logout"), "/" + settings.STATIC_URL.lstrip("/"))
        return path.startswith(allowed)


class RaterPasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("ratings:queue")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["first_sign_in"] = rater_needs_password_change(self.request.user)
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        rater_password_changed(user=self.request.user)
        messages.success(self.request, "Your new password is set.")
        return response


class SignInView(auth_views.LoginView):
    """Django's sign-in; without a ``next`` a study manager lands on the studies, anyone else on
    their own ratings."""

    def get_default_redirect_url(self):
        if self.request.user.has_perm("ratings.add_study"):
            return reverse("ratings:manage")
        return reverse("ratings:queue")
