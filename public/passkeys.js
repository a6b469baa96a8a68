// Passkeys (WebAuthn) for Portcullis's pages: the buttons marked
// data-passkey-sign-in and the forms marked data-passkey-register. The server
// hands out the options (challenge, relying party, user) and checks what the
// authenticator returns; this script only carries them between the two, with
// the form's CSRF token. Listeners sit on the document, so buttons rendered
// later (client-side navigation) work too.
(function () {
  'use strict';
  if (window.__portcullisPasskeys) return;
  window.__portcullisPasskeys = true;

  function fromB64(s) {
    s = s.replace(/-/g, '+').replace(/_/g, '/');
    while (s.length % 4) s += '=';
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64(buf) {
    var bytes = new Uint8Array(buf), bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // A server function called as the page's own code would: JSON back, and a
  // redirect named in the Location header rather than followed.
  async function call(path, fields) {
    var body = new URLSearchParams(fields);
    var res = await fetch(path, {
      method: 'POST',
      // We load the returned Location as a new page: the server vouches for its
      // ?notice= as after a plain form post (server/src/notice.rs).
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
        'X-Portcullis-Navigates': '1',
      },
      body: body,
      credentials: 'same-origin',
    });
    var text = await res.text();
    if (!res.ok) {
      var message = 'Something went wrong. Try again.';
      try {
        var v = JSON.parse(text);
        var inner = v && typeof v === 'object' ? v[Object.keys(v)[0]] : v;
        if (typeof inner === 'string') message = inner;
        else if (inner && typeof inner.message === 'string') message = inner.message;
        else if (typeof v === 'string') message = v;
      } catch (e) { /* not JSON: keep the generic message */ }
      throw new Error(message);
    }
    return { location: res.headers.get('location'), body: text ? JSON.parse(text) : null };
  }

  function show(root, message) {
    var el = root.querySelector('[data-passkey-error]') || document.querySelector('[data-passkey-error]');
    if (el) { el.textContent = message; el.hidden = false; }
  }

  function cancelled(e) {
    return e && (e.name === 'NotAllowedError' || e.name === 'AbortError');
  }

  function creationOptions(o) {
    o.challenge = fromB64(o.challenge);
    o.user.id = fromB64(o.user.id);
    o.excludeCredentials = (o.excludeCredentials || []).map(function (c) {
      return { type: c.type, id: fromB64(c.id) };
    });
    return o;
  }

  async function register(form) {
    var csrf = form.querySelector('input[name=csrf_token]').value;
    var name = form.querySelector('input[name=name]').value;
    var opts = (await call('/api/passkey_register_options', { csrf_token: csrf })).body;
    var cred = await navigator.credentials.create({ publicKey: creationOptions(opts) });
    var json = JSON.stringify({
      id: cred.id, rawId: toB64(cred.rawId), type: cred.type,
      response: {
        clientDataJSON: toB64(cred.response.clientDataJSON),
        attestationObject: toB64(cred.response.attestationObject),
      },
    });
    var done = await call('/api/passkey_register', { csrf_token: csrf, name: name, credential: json });
    window.location.href = done.location || '/account/passkeys';
  }

  async function signIn(button) {
    var root = button.closest('[data-passkey-root]') || document;
    var csrf = root.querySelector('input[name=csrf_token]').value;
    var returnTo = button.getAttribute('data-return-to') || '/';
    // The first step of a sign-in (any passkey of this site), or its second step
    // after a password (the pending sign-in's person's own passkeys).
    var second = button.getAttribute('data-passkey-step') === 'second';
    var api = second ? '/api/passkey_second_step' : '/api/passkey_sign_in';
    var opts = (await call(api + '_options', { csrf_token: csrf })).body;
    opts.challenge = fromB64(opts.challenge);
    opts.allowCredentials = (opts.allowCredentials || []).map(function (c) {
      return { type: c.type, id: fromB64(c.id) };
    });
    var cred = await navigator.credentials.get({ publicKey: opts });
    var r = cred.response;
    var json = JSON.stringify({
      id: cred.id, rawId: toB64(cred.rawId), type: cred.type,
      response: {
        clientDataJSON: toB64(r.clientDataJSON),
        authenticatorData: toB64(r.authenticatorData),
        signature: toB64(r.signature),
        userHandle: r.userHandle ? toB64(r.userHandle) : null,
      },
    });
    var done = await call(api, { csrf_token: csrf, credential: json, return_to: returnTo });
    window.location.href = done.location || returnTo;
  }

  function guard(root, run) {
    if (!window.PublicKeyCredential || !navigator.credentials) {
      show(root, 'This browser cannot use passkeys.');
      return;
    }
    run().catch(function (e) {
      show(root, cancelled(e)
        ? 'The passkey dialog was closed or timed out. Try again.'
        : (e && e.message) || 'The passkey did not work. Try again.');
    });
  }

  document.addEventListener('submit', function (ev) {
    var form = ev.target.closest && ev.target.closest('form[data-passkey-register]');
    if (!form) return;
    ev.preventDefault();
    guard(form, function () { return register(form); });
  }, true);

  document.addEventListener('click', function (ev) {
    var button = ev.target.closest && ev.target.closest('[data-passkey-sign-in]');
    if (!button) return;
    ev.preventDefault();
    guard(button.closest('[data-passkey-root]') || document, function () { return signIn(button); });
  });
})();
