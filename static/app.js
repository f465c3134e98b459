// Progressive enhancement only: every page works without this file.
"use strict";

// Close an open <details> menu when clicking elsewhere or pressing Escape.
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.menu[open]").forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute("open");
  });
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.menu[open]").forEach((menu) => {
    menu.removeAttribute("open");
    menu.querySelector("summary")?.focus();
  });
});

// A menu near the bottom of the window opens upward, so every item shows.
document.addEventListener("toggle", (event) => {
  const menu = event.target;
  if (!(menu instanceof HTMLDetailsElement) || !menu.classList.contains("menu") || !menu.open) return;
  menu.classList.remove("menu-up");
  const panel = menu.querySelector(".menu-panel");
  if (!panel) return;
  const below = window.innerHeight - menu.getBoundingClientRect().bottom;
  if (panel.getBoundingClientRect().height + 12 > below && menu.getBoundingClientRect().top > below) {
    menu.classList.add("menu-up");
  }
}, true);

// Copy buttons: copy the target's text and say so.
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (_) {
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy-target]");
  if (!button) return;
  const target = document.getElementById(button.dataset.copyTarget);
  // A list (recovery codes) is copied one item a line.
  const text = target && target.matches("ul, ol")
    ? [...target.querySelectorAll("li")].map((li) => li.textContent.trim()).join("\n")
    : target?.textContent.trim();
  if (target && (await copyText(text))) {
    button.textContent = "Copied";
    button.setAttribute("aria-live", "polite");
  }
});

// Copyable ids (`data-copy="…"`): copy the value, confirm in the tooltip.
document.addEventListener("click", async (event) => {
  const el = event.target.closest("[data-copy]");
  if (el && (await copyText(el.dataset.copy))) el.title = "Copied";
});

// The one-time secret: a real modal that nothing but a deliberate Done
// closes. Chromium closes a modal on Escape despite preventDefault() when the
// user has not clicked since the last Escape, so a close that Done did not
// ask for reopens it at once. Done asks first ("I have stored it").
const secretDialog = document.querySelector("dialog[data-secret-dialog]");
if (secretDialog && typeof secretDialog.showModal === "function") {
  let stored = false;
  secretDialog.close();
  secretDialog.showModal();
  secretDialog.addEventListener("cancel", (event) => event.preventDefault());
  secretDialog.addEventListener("close", () => {
    if (!stored) secretDialog.showModal();
  });
  const done = secretDialog.querySelector("[data-testid=secret-done]");
  const warning = secretDialog.querySelector("[data-secret-warning]");
  done?.addEventListener("click", (event) => {
    if (warning && warning.hidden) {
      event.preventDefault();
      warning.hidden = false;
      done.textContent = "I have stored it";
      done.focus();
      return;
    }
    stored = true;
  });
}

// Ticking "write" ticks "read" too (write implies read).
document.addEventListener("change", (event) => {
  const box = event.target;
  if (box.matches && box.matches("input[data-implies]") && box.checked) {
    const read = document.getElementById(box.dataset.implies);
    if (read) read.checked = true;
  }
});

// Menu actions with a confirmation page open it in a dialog instead.
const actionDialog = document.getElementById("action-dialog");
document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-dialog]");
  if (!link || !actionDialog || typeof actionDialog.showModal !== "function") return;
  event.preventDefault();
  const response = await fetch(link.href, { credentials: "same-origin" });
  if (!response.ok) { window.location.href = link.href; return; }
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const content = page.querySelector(".confirm");
  if (!content) { window.location.href = link.href; return; }
  const body = actionDialog.querySelector("[data-dialog-body]");
  body.replaceChildren(document.importNode(content, true));
  const menu = link.closest("details");
  menu?.removeAttribute("open");
  // Closing (Cancel, Escape) hands focus back to what opened the dialog: the ⋯ button, else the link.
  actionDialog.opener = menu?.querySelector("summary") || link;
  actionDialog.showModal();
  // A field to fill first (a password, a grace period), else Cancel: never the destructive
  // button, so Enter alone cannot revoke or delete.
  (body.querySelector("input:not([type=hidden]), select, textarea") || body.querySelector("[data-cancel]"))?.focus();
});
actionDialog?.addEventListener("close", () => {
  // Nothing of a closed dialog lingers: the next one starts empty until its content arrives.
  actionDialog.querySelector("[data-dialog-body]")?.replaceChildren();
  actionDialog.opener?.focus();
  actionDialog.opener = null;
});
document.addEventListener("click", (event) => {
  if (event.target.closest("#action-dialog [data-cancel]")) {
    event.preventDefault();
    actionDialog.close();
  }
});
// The dialog's form is sent from the dialog: a refusal (a wrong password, a missing choice)
// comes back into it; success goes where the server sends it. Redirects are not followed
// here, so the next page still shows the action's one-time notice.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("#action-dialog form");
  if (!form) return;
  event.preventDefault();
  const body = new URLSearchParams(new FormData(form));
  const response = await fetch(form.action, { method: "POST", body, credentials: "same-origin", redirect: "manual" });
  if (response.type === "opaqueredirect") {
    // Every action's redirect leads back to the key list, which Cancel links to.
    window.location.href = form.querySelector("[data-cancel]")?.href || window.location.href;
    return;
  }
  const html = await response.text();
  const page = new DOMParser().parseFromString(html, "text/html");
  const content = page.querySelector(".confirm");
  if (!response.ok && content) {
    actionDialog.querySelector("[data-dialog-body]").replaceChildren(document.importNode(content, true));
    actionDialog.querySelector("[aria-invalid=true], input:not([type=hidden]), select")?.focus();
    return;
  }
  // A page of its own (a rotation's new secret): shown in place of this one.
  document.open();
  document.write(html);
  document.close();
});

// Send test in place: post the form, show the returned panel without a reload.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-webhook-test]");
  const panel = document.querySelector("[data-test-panel]");
  if (!form || !panel) return;
  event.preventDefault();
  const button = form.querySelector("button");
  button.disabled = true;
  button.textContent = "Sending…";
  try {
    const response = await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin" });
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const result = page.querySelector("[data-test-panel]");
    if (result) panel.replaceWith(document.importNode(result, true));
  } finally {
    button.disabled = false;
    button.textContent = "Send test";
  }
});

// The key form: only the chosen API's permissions and roles are shown and sent
// (a disabled fieldset's boxes are not submitted); without script all are shown.
function showReachFor(select) {
  document.querySelectorAll("[data-reach-for]").forEach((fieldset) => {
    const chosen = fieldset.dataset.reachFor === select.value;
    fieldset.hidden = !chosen;
    fieldset.disabled = !chosen;
  });
}
document.querySelectorAll("select[data-reach-api]").forEach(showReachFor);
document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches("select[data-reach-api]")) showReachFor(event.target);
});
// Ticking a permission or role means choosing them: the custom access choice follows.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!box.matches || !box.matches("[data-reach-for] input[type=checkbox]") || !box.checked) return;
  const custom = document.getElementById("access-custom");
  if (custom && !document.getElementById("access-full")?.checked) custom.checked = true;
});

// A file input marked data-fills="<id>" reads the chosen JSON file into that box.
document.addEventListener("change", async (event) => {
  const input = event.target;
  if (!input.matches || !input.matches("input[type=file][data-fills]") || !input.files.length) return;
  const box = document.getElementById(input.dataset.fills);
  if (box) box.value = await input.files[0].text();
});

// A form that comes back with problems: the summary at its top takes focus (its links lead to each field).
document.querySelector("[data-error-summary]")?.focus();

// The expiry choice: the date box only with "Custom date…"; without script both show and the choice decides.
function showCustomExpiry(select) {
  const custom = select.form?.querySelector("[data-expiry-custom]");
  if (custom) custom.hidden = select.value !== "custom";
}
document.querySelectorAll("select[data-expiry-choice]").forEach(showCustomExpiry);
document.addEventListener("change", (event) => {
  if (event.target.matches && event.target.matches("select[data-expiry-choice]")) showCustomExpiry(event.target);
});

// Print buttons exist only with script (printing needs it).
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});

// "Forgot your password?" takes the address typed on the login form along.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-testid=forgot-password]");
  const email = document.getElementById("email")?.value.trim();
  if (link && email) link.href = `${link.pathname}?email=${encodeURIComponent(email)}`;
});

// On a phone the settings navigation is one row that scrolls sideways: show the current page's tab.
const navRow = document.querySelector(".sidenav");
const currentTab = navRow?.querySelector("a[aria-current=page]");
if (navRow && currentTab && navRow.scrollWidth > navRow.clientWidth) {
  navRow.scrollLeft = currentTab.offsetLeft - (navRow.clientWidth - currentTab.offsetWidth) / 2;
}

// Code examples get a Copy button (copying needs script, so script adds it).
document.querySelectorAll("pre.code").forEach((pre, i) => {
  if (!pre.id) pre.id = `example-${i + 1}`;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button button-small copy-code";
  button.textContent = "Copy";
  button.dataset.copyTarget = pre.id;
  button.setAttribute("aria-label", "Copy this example");
  const block = document.createElement("div");
  block.className = "code-block";
  pre.replaceWith(block);
  block.append(button, pre);
});
