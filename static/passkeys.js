// Passkeys (WebAuthn): registering one on /account/two-factor and using one at
// the second step of a login. The server sends the ceremony's options as JSON
// (binary fields base64url) and checks the browser's answer; this file only
// converts between base64url and the ArrayBuffers the browser API wants.
"use strict";

function fromB64url(text) {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  const bytes = atob(base64);
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 1) out[i] = bytes.charCodeAt(i);
  return out.buffer;
}

function toB64url(buffer) {
  let text = "";
  new Uint8Array(buffer).forEach((b) => { text += String.fromCharCode(b); });
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function csrfToken() {
  return document.querySelector("meta[name=csrf-token]")?.content
    || document.querySelector("input[name=csrf_token]")?.value || "";
}

async function post(url, fields) {
  const response = await fetch(url, {
    method: "POST",
    body: new URLSearchParams({ csrf_token: csrfToken(), ...fields }),
    headers: { Accept: "application/json" },
    credentials: "same-origin",
  });
  let data = {};
  try { data = await response.json(); } catch (_) { /* not JSON: keep the generic message */ }
  return { ok: response.ok, data };
}

function showError(box, message) {
  if (!box) return;
  box.textContent = message;
  box.hidden = false;
}

async function register(form) {
  const error = form.querySelector("[data-passkey-error]");
  if (error) error.hidden = true;
  // Past the sudo window the form carries the password (and a code): the server checks them first.
  const confirm = {};
  ["password", "code"].forEach((name) => {
    const field = form.querySelector(`[name=${name}]`);
    if (field) confirm[name] = field.value;
  });
  const options = await post(form.dataset.optionsUrl, confirm);
  if (!options.ok) return showError(error, options.data.error || "Passkeys are not available right now.");
  const publicKey = options.data.publicKey;
  publicKey.challenge = fromB64url(publicKey.challenge);
  publicKey.user.id = fromB64url(publicKey.user.id);
  (publicKey.excludeCredentials || []).forEach((c) => { c.id = fromB64url(c.id); });
  let credential;
  try {
    credential = await navigator.credentials.create({ publicKey });
  } catch (e) {
    return showError(error, `The browser made no passkey (${e.name}).`);
  }
  const answer = {
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    response: {
      attestationObject: toB64url(credential.response.attestationObject),
      clientDataJSON: toB64url(credential.response.clientDataJSON),
      transports: credential.response.getTransports ? credential.response.getTransports() : [],
    },
    extensions: {},
  };
  const name = form.querySelector("[name=name]")?.value || "";
  const done = await post(form.dataset.finishUrl, { name, credential: JSON.stringify(answer) });
  if (done.ok && done.data.redirect) window.location.assign(done.data.redirect);
  // A first second factor comes with recovery codes: the answer is their page, shown once.
  if (done.ok && done.data.page) {
    document.open();
    document.write(done.data.page);
    document.close();
  }
  else showError(error, done.data.error || "The passkey could not be added.");
}

/// Asks the authenticator to sign the server's challenge; `finish` gets the answer as JSON text.
async function assert(box, error) {
  const options = await post(box.dataset.optionsUrl, {});
  if (!options.ok) {
    if (options.data.redirect) window.location.assign(options.data.redirect);
    else showError(error, options.data.error || "Passkeys are not available right now.");
    return null;
  }
  const publicKey = options.data.publicKey;
  publicKey.challenge = fromB64url(publicKey.challenge);
  (publicKey.allowCredentials || []).forEach((c) => { c.id = fromB64url(c.id); });
  let credential;
  try {
    credential = await navigator.credentials.get({ publicKey });
  } catch (e) {
    showError(error, `The browser used no passkey (${e.name}).`);
    return null;
  }
  return JSON.stringify({
    id: credential.id,
    rawId: toB64url(credential.rawId),
    type: credential.type,
    response: {
      authenticatorData: toB64url(credential.response.authenticatorData),
      clientDataJSON: toB64url(credential.response.clientDataJSON),
      signature: toB64url(credential.response.signature),
      userHandle: credential.response.userHandle ? toB64url(credential.response.userHandle) : null,
    },
    extensions: {},
  });
}

async function signIn(box) {
  const error = box.querySelector("[data-passkey-error]");
  if (error) error.hidden = true;
  const answer = await assert(box, error);
  if (!answer) return;
  const done = await post(box.dataset.finishUrl, { credential: answer });
  if (done.data.redirect) window.location.assign(done.data.redirect);
  else showError(error, done.data.error || "The passkey was not accepted.");
}

// Sudo mode: a passkey instead of the password or code, then the form goes as it is.
async function confirmSudo(box) {
  const error = box.querySelector("[data-passkey-error]");
  if (error) error.hidden = true;
  const answer = await assert(box, error);
  if (!answer) return;
  const done = await post(box.dataset.finishUrl, { credential: answer });
  if (done.ok && done.data.confirmed) box.closest("form").submit();
  else showError(error, done.data.error || "The passkey was not accepted.");
}

document.querySelectorAll("form[data-passkey-register]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    register(form);
  });
});
document.querySelectorAll("[data-passkey-login]").forEach((box) => {
  box.querySelector("button")?.addEventListener("click", () => signIn(box));
});
document.querySelectorAll("[data-passkey-sudo]").forEach((box) => {
  box.querySelector("button")?.addEventListener("click", () => confirmSudo(box));
});
