// The login step between the platform's login initiation and its authentication request.
// The state must be bound to this browser before going on: in LTI platform storage when the
// platform offers it (lti.put_data to its frame), else in the cookie the answer set — which a
// browser blocking third-party cookies refuses inside Moodle's iframe. Then the launch goes on
// in a new top-level window, where the cookie is first-party.
(function () {
  'use strict';

  var cfg = JSON.parse(document.getElementById('login-config').textContent);
  var $ = function (id) { return document.getElementById(id); };

  function cookieKept() {
    return document.cookie.split(';').some(function (c) {
      return c.trim().indexOf(cfg.probe_cookie + '=') === 0;
    });
  }

  function putAll(storage) {
    var frame = storage.target === '_parent' ? window.parent : window.parent.frames[storage.target];
    if (!frame || frame === window) return Promise.resolve(false);
    function put(key, value) {
      return new Promise(function (resolve) {
        var id = Math.random().toString(36).slice(2);
        function answer(event) {
          if (event.origin !== storage.origin || !event.data || event.data.message_id !== id) return;
          window.removeEventListener('message', answer);
          resolve(!event.data.error);
        }
        window.addEventListener('message', answer);
        frame.postMessage({ subject: 'lti.put_data', message_id: id, key: key, value: value }, storage.origin);
        setTimeout(function () { resolve(false); }, 2000);
      });
    }
    return Promise.all([put(storage.state_key, storage.state), put(storage.nonce_key, storage.nonce)])
      .then(function (done) { return done[0] && done[1]; });
  }

  function go() {
    window.location.replace(cfg.auth_url);
  }

  function offerNewWindow() {
    var framed = window.top !== window;
    $('working').hidden = true;
    if (!framed) {
      $('no-cookies').hidden = false;
      return;
    }
    $('new-window').hidden = false;
    $('open').addEventListener('click', function () {
      var opened = window.open(cfg.new_window_url, '_blank');
      $('opened').hidden = !opened;
      $('blocked').hidden = !!opened;
    });
  }

  var stored = cfg.storage ? putAll(cfg.storage) : Promise.resolve(false);
  stored.then(function (inPlatform) {
    if (inPlatform || cookieKept()) {
      go();
    } else {
      offerNewWindow();
    }
  });
})();
