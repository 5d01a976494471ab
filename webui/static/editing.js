/* Writing requests from script (archive serve --editing): archiveEditing.send(url, options)
   is fetch() with the session's CSRF token (from <meta name="csrf-token">) in an X-CSRFToken
   header, for this site's URLs only; a request without it is refused with 403. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function send(url, options) {
    var init = Object.assign({ credentials: "same-origin" }, options || {});
    var headers = new Headers(init.headers || {});
    if (new URL(url, window.location.href).origin === window.location.origin) {
      headers.set("X-CSRFToken", csrfToken());  // never handed to another site
    }
    init.headers = headers;
    return window.fetch(url, init);
  }

  window.archiveEditing = { csrfToken: csrfToken, send: send };
})();
