// The end of LTI Dynamic Registration: tell the platform's registration dialog to close.
(function () {
  'use strict';
  (window.opener || window.parent).postMessage({ subject: 'org.imsglobal.lti.close' }, '*');
})();
