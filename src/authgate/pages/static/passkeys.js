// Passkeys with the browser's WebAuthn API: adding one on /admin/account, signing in with one
// on /admin/login. Both talk to the JSON API with the page's session cookie:
//   POST /users/me/passkeys/options {password} -> navigator.credentials.create()
//     -> POST /users/me/passkeys {credential, name}
//   POST /auth/passkey/options {email?} -> navigator.credentials.get()
//     -> POST /auth/passkey/login {credential, mode: "session"} (sets the session cookie)
// Nothing here is needed for the rest of the pages, which work without JavaScript.
"use strict";
(function () {
  if (window.__passkeys) return; // included once per page, even if two parts ask for it
  window.__passkeys = true;
  var supported = !!(window.PublicKeyCredential && navigator.credentials);

  function bytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(base64 + "===".slice((base64.length + 3) % 4));
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out.buffer;
  }

  function text(buffer) {
    var view = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < view.length; i++) raw += String.fromCharCode(view[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: bytes(d.id) }); });
  }

  function asJSON(credential) {
    var r = credential.response;
    var response = { clientDataJSON: text(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = text(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = text(r.authenticatorData);
      response.signature = text(r.signature);
      response.userHandle = r.userHandle ? text(r.userHandle) : null;
    }
    return {
      id: credential.id,
      rawId: text(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    };
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }).then(function (answer) {
      return answer.json().then(function (json) {
        if (answer.ok) return json.data;
        var error = (json.errors || [{}])[0];
        var failure = new Error(error.message || "Request refused");
        failure.code = error.extensions && error.extensions.code;
        throw failure;
      });
    });
  }

  function show(message) {
    var box = document.getElementById("passkey-problem");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  }

  document.querySelectorAll("[data-passkey]").forEach(function (part) { part.hidden = !supported; });
  document.querySelectorAll("[data-passkey-unsupported]").forEach(function (part) { part.hidden = supported; });
  if (!supported) return;

  var enrol = document.getElementById("passkey-enrol");
  if (enrol) {
    enrol.addEventListener("submit", function (event) {
      event.preventDefault();
      var name = enrol.querySelector("[name=name]").value.trim();
      var password = enrol.querySelector("[name=password]").value;
      post("/users/me/passkeys/options", { password: password })
        .then(function (options) {
          options.challenge = bytes(options.challenge);
          options.user = Object.assign({}, options.user, { id: bytes(options.user.id) });
          options.excludeCredentials = descriptors(options.excludeCredentials);
          return navigator.credentials.create({ publicKey: options });
        })
        .then(function (credential) {
          return post("/users/me/passkeys", { credential: asJSON(credential), name: name });
        })
        .then(function () { window.location.assign("/admin/account?notice=passkey-added"); })
        .catch(function (error) {
          if (error.code === "INVALID_CREDENTIALS") show("That password is not right.");
          else if (error.name === "NotAllowedError") show("No passkey was made: it was cancelled or timed out.");
          else if (error.name === "InvalidStateError") show("This device already has a passkey for your account.");
          else show("The passkey could not be added. Try again.");
        });
    });
  }

  var signin = document.getElementById("passkey-signin");
  if (signin) {
    signin.addEventListener("click", function () {
      var emailField = document.getElementById("f-email");
      var email = emailField ? emailField.value.trim() : "";
      post("/auth/passkey/options", email ? { email: email } : {})
        .then(function (options) {
          options.challenge = bytes(options.challenge);
          options.allowCredentials = descriptors(options.allowCredentials);
          return navigator.credentials.get({ publicKey: options });
        })
        .then(function (credential) {
          return post("/auth/passkey/login", { credential: asJSON(credential), mode: "session" });
        })
        .then(function () { window.location.assign(signin.getAttribute("data-target") || "/admin/account"); })
        .catch(function (error) {
          if (error.name === "NotAllowedError") show("No passkey was used: it was cancelled or timed out.");
          else show("That passkey did not work. Try again, or sign in with your password.");
        });
    });
  }
})();
