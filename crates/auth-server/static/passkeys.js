// Passkeys on the hosted pages. A form marked `data-passkey` holds the CSRF
// token and the hidden `ceremony` and `credential` fields; its
// `data-options` URL answers the options of a new ceremony as JSON. This
// script asks the browser for a credential with them, puts the answer in the
// form and submits it: the server's answer is an ordinary page or redirect.
//
//   data-passkey="sign-in":  the login page. The passkeys offered in the
//     email field's autofill (conditional mediation) when the browser can,
//     unless `data-conditional="off"` (the page answers a refused passkey),
//     and in a dialog when the button is pressed.
//   data-passkey="register": the account page's "add a passkey".
(function () {
  "use strict";

  function toBytes(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function ids(list) {
    (list || []).forEach(function (c) { c.id = toBytes(c.id); });
  }

  function showError(form, text) {
    var box = form.querySelector("[data-passkey-error]");
    if (!box) return;
    box.textContent = text || box.getAttribute("data-passkey-error");
    box.hidden = false;
  }

  // A new ceremony: { ceremony, options: { publicKey, mediation? } }.
  function start(form) {
    var body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    return fetch(form.getAttribute("data-options"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    }).then(function (res) {
      return res.json().then(function (json) {
        if (!res.ok) throw new Error(json.error || "HTTP " + res.status);
        return json;
      });
    });
  }

  function submit(form, ceremony, credential) {
    form.elements.ceremony.value = ceremony;
    form.elements.credential.value = JSON.stringify(credential);
    form.submit();
  }

  function assertion(c) {
    var r = c.response;
    return {
      id: c.id,
      rawId: toText(c.rawId),
      type: c.type,
      response: {
        authenticatorData: toText(r.authenticatorData),
        clientDataJSON: toText(r.clientDataJSON),
        signature: toText(r.signature),
        userHandle: r.userHandle ? toText(r.userHandle) : null,
      },
      extensions: {},
    };
  }

  function attestation(c) {
    var r = c.response;
    return {
      id: c.id,
      rawId: toText(c.rawId),
      type: c.type,
      response: {
        attestationObject: toText(r.attestationObject),
        clientDataJSON: toText(r.clientDataJSON),
        transports: r.getTransports ? r.getTransports() : undefined,
      },
      extensions: {},
    };
  }

  function signIn(form) {
    var pending = null;

    function get(conditional) {
      if (pending) pending.abort();
      var abort = new AbortController();
      pending = abort;
      return start(form).then(function (started) {
        var pk = started.options.publicKey;
        pk.challenge = toBytes(pk.challenge);
        ids(pk.allowCredentials);
        var request = { publicKey: pk, signal: abort.signal };
        if (conditional) request.mediation = "conditional";
        return navigator.credentials.get(request).then(function (c) {
          if (c) submit(form, started.ceremony, assertion(c));
        });
      });
    }

    var button = form.querySelector("[data-passkey-button]");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        get(false).catch(function (e) {
          if (e && e.name === "AbortError") return;
          showError(form, e && e.name === "NotAllowedError" ? null : e.message);
        });
      });
    }
    // Not again right after a refused passkey: the page says why first.
    var conditional = form.getAttribute("data-conditional") !== "off";
    if (conditional && PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (yes) {
        if (yes) get(true).catch(function () { /* replaced by the button, or dismissed */ });
      });
    }
  }

  function register(form) {
    var button = form.querySelector("[data-passkey-button]");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      start(form)
        .then(function (started) {
          var pk = started.options.publicKey;
          pk.challenge = toBytes(pk.challenge);
          pk.user.id = toBytes(pk.user.id);
          ids(pk.excludeCredentials);
          return navigator.credentials.create({ publicKey: pk }).then(function (c) {
            if (c) submit(form, started.ceremony, attestation(c));
          });
        })
        .catch(function (e) {
          showError(form, e && e.name === "NotAllowedError" ? null : e.message);
        });
    });
  }

  if (!window.PublicKeyCredential) return;
  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    if (form.getAttribute("data-passkey") === "sign-in") signIn(form);
    if (form.getAttribute("data-passkey") === "register") register(form);
  });
})();
