// Log in: a patient's username and password open a session (an HttpOnly cookie).
import { ApiError, NetworkError, get, session } from "../api.js";
import { h } from "../dom.js";
import { t } from "../strings.js";

export function loginScreen(onLoggedIn) {
  const username = h("input", { id: "username", name: "username", autocomplete: "username", required: true, autocapitalize: "none", spellcheck: "false" });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const error = h("p", { class: "error", role: "alert" });
  const submit = h("button", { type: "submit" }, t.logIn);
  const form = h(
    "form",
    { class: "login" },
    h("div", { class: "field" }, h("label", { for: "username" }, t.username), username),
    h("div", { class: "field" }, h("label", { for: "password" }, t.password), password),
    error,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    try {
      await session.open(username.value, password.value);
      const me = await get("me/");
      password.value = "";
      await onLoggedIn(me);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 429) error.textContent = t.tooManyLogins(failure.retryAfter || 60);
      // A therapist's account: the server opened no session.
      else if (failure instanceof ApiError && failure.body && failure.body.account) error.textContent = t.notAPatient;
      else if (failure instanceof NetworkError) error.textContent = t.loginOffline;
      else error.textContent = t.loginFailed;
    } finally {
      submit.disabled = false;
    }
  });
  return [h("h1", {}, t.loginHeading), form];
}
